"""``concord proof`` fetches a Merkle proof with the server's signed checkpoint into a
file; ``concord verify --proof FILE --public-key PEM`` checks such a file offline, with
the server's public key and nothing else (docs/audit.md, docs/log-format.md).

A proof file is JSON: ``{"concord_proof": 1, "kind": "inclusion" | "consistency", ...}``
with the proof route's answer (server/audit/proof_routes.py): hashes in base64, the
event's hash in hex, and the C2SP signed checkpoint(s) of the tree size(s). Verifying:

- each checkpoint is a signed note whose signature by the note's origin verifies with the
  public key, and whose size is the proof's;
- inclusion: SHA-256(0x00 || event hash) is leaf ``position - 1`` of the signed root, by
  the audit path (RFC 9162 §2.1.3.2);
- consistency: the older signed root's tree is a prefix of the newer one's (§2.1.4.2).

Nothing in the file is trusted but what the key signed: a root or size written beside the
checkpoint must agree with it.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events.merkle import event_leaf, verify_consistency, verify_inclusion
from server.audit.audit_arguments import TOKEN_VARIABLE
from server.audit.server_client import ConcordServer, ServerRefused
from server.audit.signed_note import (
    CheckpointBody,
    NoteError,
    log_signature_verifies,
    parse_checkpoint_text,
    parse_note,
)
from server.audit.signing import key_id_of, load_public_key

FORMAT = 1
CHECKPOINT_PATH = "/api/log/checkpoint"
INCLUSION_PATH = "/api/log/proofs/inclusion"
CONSISTENCY_PATH = "/api/log/proofs/consistency"


class NotProven(Exception):
    """The proof does not prove what it says (says why, for people)."""


class CannotFetch(Exception):
    """The server could not be asked, or answered something that is not a proof."""


def run_proof_command(args: argparse.Namespace) -> int | None:
    """Run ``proof`` or ``verify --proof``; None for any other command."""
    if args.command == "proof":
        return fetch(args)
    if args.command == "verify" and getattr(args, "proof", None) is not None:
        if args.file is not None or args.public_key is None:
            print("verify --proof FILE takes --public-key PEM and no export", file=sys.stderr)
            return 2
        return verify_proof_file(args.proof, args.public_key)
    return None


# -- fetching -----------------------------------------------------------------------


def fetch(args: argparse.Namespace) -> int:
    server = ConcordServer(args.url, args.token or os.environ.get(TOKEN_VARIABLE))
    try:
        if args.proof_kind == "inclusion":
            proof = _fetch_inclusion(server, args.position, args.size)
            said = f"event {proof['position']} in the log of tree size {proof['tree_size']}"
        else:
            proof = _fetch_consistency(server, args.old, args.new)
            said = f"tree size {proof['from']} is a prefix of tree size {proof['to']}"
    except (CannotFetch, ServerRefused) as error:
        print(f"cannot fetch the proof: {error}", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(proof, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {said}, with the server's signed checkpoint")
    return 0


def _fetch_inclusion(server: ConcordServer, position: int, size: int | None) -> dict[str, Any]:
    if size is None:
        latest = server.get(CHECKPOINT_PATH)
        size = latest.get("tree_size") if isinstance(latest, dict) else None
        if not isinstance(size, int):
            raise CannotFetch("the server's latest checkpoint names no tree size")
        if position > size:
            raise CannotFetch(
                f"position {position} is after the latest signed checkpoint (tree size {size});"
                " ask again once the server has signed the next one"
            )
    answer = server.get(INCLUSION_PATH, {"position": position, "size": size})
    if not isinstance(answer, dict) or not answer.get("checkpoint"):
        raise CannotFetch(
            f"the server has signed no checkpoint of tree size {size}: choose a signed size"
            " (leave out --size for the latest)"
        )
    return {"concord_proof": FORMAT, "kind": "inclusion", **answer}


def _fetch_consistency(server: ConcordServer, old: int, new: int) -> dict[str, Any]:
    answer = server.get(CONSISTENCY_PATH, {"from": old, "to": new})
    if not isinstance(answer, dict):
        raise CannotFetch("the server's answer is not a consistency proof")
    for side, size in (("from", old), ("to", new)):
        if not answer.get(f"{side}_checkpoint"):
            raise CannotFetch(
                f"the server has signed no checkpoint of tree size {size}: choose signed sizes"
            )
    return {"concord_proof": FORMAT, "kind": "consistency", **answer}


# -- verifying ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proven:
    """What a verified proof file proves, in words."""

    summary: str


def verify_proof_file(path: Path, public_key_file: Path) -> int:
    """``concord verify --proof``: 0 proven, 1 not proven, 2 unreadable input."""
    try:
        key = load_public_key(public_key_file.read_text())
        proof = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"cannot verify {path}: {error}", file=sys.stderr)
        return 2
    try:
        proven = verify_proof(proof, key)
    except NotProven as refused:
        print(f"NOT PROVEN: {refused}")
        return 1
    print(f"ok: {proven.summary}")
    return 0


def verify_proof(proof: Any, key: Ed25519PublicKey) -> Proven:
    """What ``proof`` (a proof file's JSON) proves; NotProven says why it proves nothing."""
    if not isinstance(proof, dict) or proof.get("concord_proof") != FORMAT:
        raise NotProven(f"not a Concord proof file (format {FORMAT})")
    signer = f"signed by key {key_id_of(key)}"
    match proof.get("kind"):
        case "inclusion":
            position, size = _integer(proof, "position"), _integer(proof, "tree_size")
            body = _signed(proof.get("checkpoint"), key, size, proof.get("root"))
            event_hash = proof.get("event_hash")
            if not isinstance(event_hash, str) or len(event_hash) != 64:
                raise NotProven("event_hash is not 64 hex digits")
            try:
                leaf = event_leaf(event_hash)
            except ValueError:
                raise NotProven("event_hash is not 64 hex digits") from None
            path = _hashes(proof.get("proof"))
            if not verify_inclusion(position - 1, size, leaf, path, body.root):
                raise NotProven(
                    f"the audit path does not lead from event {position}'s hash to the signed"
                    f" root of tree size {size}"
                )
            return Proven(
                f"the event at position {position} with hash {event_hash} is in the log"
                f" {body.origin} of tree size {size} (root {_b64(body.root)}), {signer}"
            )
        case "consistency":
            old, new = _integer(proof, "from"), _integer(proof, "to")
            first = _signed(proof.get("from_checkpoint"), key, old, proof.get("from_root"))
            second = _signed(proof.get("to_checkpoint"), key, new, proof.get("to_root"))
            if first.origin != second.origin:
                raise NotProven(f"the checkpoints are of two logs: {first.origin}, {second.origin}")
            path = _hashes(proof.get("proof"))
            if not verify_consistency(old, new, first.root, second.root, path):
                raise NotProven(
                    f"the log of tree size {old} is NOT shown to be a prefix of the log of tree"
                    f" size {new}: the proof does not join their signed roots"
                )
            return Proven(
                f"the log {first.origin} of tree size {old} (root {_b64(first.root)}) is a"
                f" prefix of its tree of size {new} (root {_b64(second.root)}), both {signer}"
            )
        case other:
            raise NotProven(f"a proof is of kind inclusion or consistency, not {other!r}")


def _integer(proof: dict[str, Any], name: str) -> int:
    value = proof.get(name)
    if type(value) is not int or value < 0:
        raise NotProven(f"{name} is not a whole number")
    return value


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _hashes(values: Any) -> list[bytes]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise NotProven("proof is not a list of base64 hashes")
    try:
        return [base64.b64decode(v, validate=True) for v in values]
    except binascii.Error:
        raise NotProven("proof holds a hash that is not base64") from None


def _signed(note: Any, key: Ed25519PublicKey, size: int, root: Any) -> CheckpointBody:
    """The checkpoint body of ``note`` once its signature verifies and its size (and any
    root written beside it) is the proof's."""
    if not isinstance(note, str):
        raise NotProven(f"there is no signed checkpoint of tree size {size}")
    try:
        parsed = parse_note(note)
        body = parse_checkpoint_text(parsed.text)
    except NoteError as error:
        raise NotProven(f"the checkpoint of tree size {size} is malformed: {error}") from None
    if not log_signature_verifies(parsed, body.origin, key):
        raise NotProven(
            f"the checkpoint of tree size {body.size} does not verify with the public key"
            f" {key_id_of(key)} (a checkpoint of another server, or altered)"
        )
    if body.size != size:
        raise NotProven(f"the proof is for tree size {size}, its checkpoint for {body.size}")
    if root is not None and root != _b64(body.root):
        raise NotProven(f"the root beside the checkpoint is not the signed root of size {size}")
    return body
