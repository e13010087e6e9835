"""The audit room's part of the ``concord`` command line: ``verify``, ``export``,
``replay``, ``key``, ``proof`` and ``witness``, their arguments only.

Apart from the handlers (:mod:`server.audit.commands`, :mod:`server.audit.proof_cli`,
:mod:`server.audit.witness`) so that building the ``concord`` parser imports nothing a
command does not need: not the audit history, the report's PDF, nor an HTTP client.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from server.formats.format_arguments import COPIES, DOCUMENT_FORMATS

TOKEN_VARIABLE = "CONCORD_TOKEN"


def add_audit_commands(commands: Any) -> None:
    """``verify``, ``export``, ``replay`` and ``key`` on the ``concord`` parser's subparsers."""
    verify = commands.add_parser(
        "verify",
        help="recompute the hash chain and check the signed checkpoints: of the database,"
        " or of an exported log FILE (offline)",
    )
    verify.add_argument("file", nargs="?", type=Path, help="a JSON Lines export")
    verify.add_argument("--public-key", type=Path, help="the server's public key (PEM)")
    export = commands.add_parser(
        "export", help="export a trial's log, audit trail or report, or its protocol"
    )
    export.add_argument("--trial", help="the trial (jsonl without it: the whole log)")
    export.add_argument(
        "--format", choices=("jsonl", "csv", "pdf", "usdm", *DOCUMENT_FORMATS), required=True
    )
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--at", help="usdm: a log position, an ISO 8601 time or vN (version N)")
    export.add_argument(
        "--version", metavar="N", help="protocol-pdf|docx: published version N (default: current)"
    )
    export.add_argument(
        "--amendment", metavar="A", help="protocol-pdf|docx: the protocol as amendment A makes it"
    )
    export.add_argument(
        "--copy",
        choices=COPIES,
        help="with --amendment: clean (the default) or tracked against its base version",
    )
    replay = commands.add_parser("replay", help="print a trial as it was at a position or time")
    replay.add_argument("--trial", required=True)
    replay.add_argument("--at", required=True, help="a log position or an ISO 8601 time")
    commands.add_parser("key", help="print the server's public signing key (PEM)")


def runs_a_proof(args: argparse.Namespace) -> bool:
    """Whether the parsed command is ``proof`` or ``verify --proof`` (offline or over HTTP:
    no database)."""
    return args.command == "proof" or (
        args.command == "verify" and getattr(args, "proof", None) is not None
    )


def add_proof_commands(commands: Any) -> None:
    """``concord proof inclusion|consistency`` and ``concord verify --proof`` (the work:
    :mod:`server.audit.proof_cli`); after :func:`add_audit_commands`, whose ``verify``
    this adds an option to."""
    proof = commands.add_parser(
        "proof", help="fetch a Merkle proof with the server's signed checkpoint into a file"
    )
    kinds = proof.add_subparsers(dest="proof_kind", required=True)
    inclusion = kinds.add_parser("inclusion", help="that the event at a position is in the log")
    inclusion.add_argument("--position", type=int, required=True, help="the event's position")
    inclusion.add_argument(
        "--size", type=int, help="the tree size (default: the latest signed checkpoint's)"
    )
    consistency = kinds.add_parser(
        "consistency", help="that the log of one size is a prefix of the log of a larger size"
    )
    consistency.add_argument("--from", dest="old", type=int, required=True, metavar="N")
    consistency.add_argument("--to", dest="new", type=int, required=True, metavar="M")
    for kind in (inclusion, consistency):
        kind.add_argument("--url", required=True, help="the server, e.g. https://concord.example")
        kind.add_argument(
            "--token", help=f"an API token (default: the {TOKEN_VARIABLE} environment variable)"
        )
        kind.add_argument("--out", type=Path, required=True, help="the proof file to write")
    verify = commands.choices["verify"]
    verify.add_argument(
        "--proof", type=Path, help="a proof file from `concord proof` (offline; needs --public-key)"
    )


def add_witness_command(commands: Any) -> None:
    """``concord witness`` (the work: :mod:`server.audit.witness`)."""
    witness = commands.add_parser(
        "witness",
        help="cosign the server's latest checkpoint after checking it extends the last one"
        " this witness cosigned (or --generate-key)",
    )
    witness.add_argument("--key", type=Path, required=True, help="the witness's key (PEM)")
    witness.add_argument("--url", help="the server, e.g. https://concord.example")
    witness.add_argument("--state", type=Path, help="the witness's state file (JSON)")
    witness.add_argument(
        "--name", help="the witness's key name, as the charter names it (e.g. ethics.example/w1)"
    )
    witness.add_argument("--server-key", type=Path, help="the server's public key (PEM)")
    witness.add_argument("--token", help="an API token, if the server asks for one (proofs)")
    witness.add_argument(
        "--generate-key", action="store_true", help="make a key pair at --key and print it"
    )
