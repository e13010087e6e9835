"""The ``concord`` command: serve, load the demo, manage users and the database.

Building the parser imports only the commands' arguments (the ``*_arguments`` modules);
each command's work is imported in the branch that runs it, so ``concord --help`` or
``concord user list`` does not pay for the server, the audit history or the PDF renderers
(tests/integration/server/test_cli_imports.py).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from server.affinity import AUTO, CpuChoice, cpu_for, parse_cpu_choice, pin_to_cpu
from server.audit.audit_arguments import (
    add_audit_commands,
    add_proof_commands,
    add_witness_command,
    runs_a_proof,
)
from server.formats.format_arguments import DOCUMENT_FORMATS, add_import_command
from server.notifications.options import add_mail_options, mail_settings
from server.personal_data_arguments import add_personal_data_commands
from server.user_arguments import add_user_commands

if TYPE_CHECKING:
    from server.audit.commands import ExportWriter
    from server.formats.document_files import DocumentChoice

DEFAULT_DATA_DIR = Path(os.environ.get("CONCORD_DATA_DIR", "data"))


def database_url(explicit: str | None = None) -> str:
    """``--db``, else CONCORD_DATABASE_URL, else an SQLite file in the data folder."""
    if explicit:
        return explicit
    if url := os.environ.get("CONCORD_DATABASE_URL"):
        return url
    DEFAULT_DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # the database, the key
    return f"sqlite:///{(DEFAULT_DATA_DIR / 'concord.sqlite').resolve()}"


def _proxies(text: str) -> tuple[str, ...]:
    """``--forwarded-allow-ips``: addresses or networks (``10.0.0.0/8``, no host bits set,
    as uvicorn reads them), comma-separated, or ``*``."""
    named = tuple(item.strip() for item in text.split(",") if item.strip())
    for item in named:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not an IP address or network (such as 10.0.0.0/8)"
            ) from None
    return named


def _seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def _cpu_choice(text: str) -> CpuChoice:
    try:
        return parse_cpu_choice(text)
    except ValueError as refused:  # argparse shows only this error type's own words
        raise argparse.ArgumentTypeError(str(refused)) from None


def _add_serve_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run Concord (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load the demo trial if missing")
    serve.add_argument("--secure-cookies", action="store_true", help="when served over https")
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="another origin (e.g. https://app.example) whose pages may open live connections",
    )
    serve.add_argument(  # default: server.live.connection's (imported only to serve)
        "--live-buffer",
        type=int,
        metavar="N",
        help="messages a live connection may have waiting before it is closed as too slow",
    )
    serve.add_argument(
        "--cpu",
        type=_cpu_choice,
        default=os.environ.get("CONCORD_CPU") or AUTO,  # argparse converts a text default
        metavar="auto|all|N",
        help="the CPUs to run on: auto (one on SQLite, every one on PostgreSQL), all, or N"
        " (default: CONCORD_CPU, else auto); see server/affinity.py",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        type=_proxies,
        default=(),
        metavar="IPS",
        help="the reverse proxies (addresses or networks, comma-separated, or *) whose"
        " X-Forwarded-For and X-Forwarded-Proto are believed (default: none)",
    )
    serve.add_argument(  # default: server.http.body_deadline's (imported only to serve)
        "--body-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="the time a request's body may take to arrive (then 408)",
    )
    serve.add_argument(
        "--checkpoint-minutes",
        type=float,
        default=60,
        help="sign the log's head this often while it grows (0: only on export)",
    )
    add_mail_options(serve)


def concord_parser() -> argparse.ArgumentParser:
    """Every command's arguments; nothing of their work is imported."""
    parser = argparse.ArgumentParser(prog="concord", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database URL (default: CONCORD_DATABASE_URL or ./data)")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve_command(commands)
    commands.add_parser("demo", help="load the demo trial and print its passwords")
    add_user_commands(commands)
    add_personal_data_commands(commands)
    db = commands.add_parser("db", help="database maintenance")
    db.add_subparsers(dest="db_command", required=True).add_parser("upgrade")
    add_audit_commands(commands)
    add_import_command(commands)
    add_witness_command(commands)
    add_proof_commands(commands)
    return parser


def _format_writer(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> ExportWriter | None:
    """What writes an export of ``server/formats`` (None: the audit's own formats)."""
    document = _document_choice(parser, args)
    if args.at is not None and args.format != "usdm":
        parser.error("--at is for a usdm export")
    if args.format == "usdm":
        from server.formats.usdm_commands import write_usdm

        return lambda store, part: write_usdm(store, args.trial, part, args.at)
    if document is not None:
        from server.accounts.tables import utc_now
        from server.formats.document_files import write_document

        return lambda store, part: write_document(
            store, args.trial, args.format, part, document, now=utc_now()
        )
    return None


def _document_choice(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> DocumentChoice | None:
    """``--version``, ``--amendment`` and ``--copy`` of a protocol document's export."""
    if args.format not in DOCUMENT_FORMATS:
        if args.version or args.amendment or args.copy:
            parser.error("--version, --amendment and --copy are for protocol-pdf|protocol-docx")
        return None
    if args.version and args.amendment:
        parser.error("--version or --amendment, not both")
    if args.copy and not args.amendment:
        parser.error("--copy is for an amendment's protocol (--amendment A)")
    from server.formats.document_files import DocumentChoice
    from server.formats.protocol_document import Copy

    return DocumentChoice(
        version=args.version, amendment=args.amendment, copy=Copy(args.copy or Copy.CLEAN)
    )


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace, url: str) -> int:
    from server.http.body_deadline import DEFAULT_BODY_TIMEOUT_SECONDS
    from server.live.connection import LiveSettings
    from server.serve_command import Listening, serve
    from server.services import Settings

    every = args.checkpoint_minutes * 60 if args.checkpoint_minutes > 0 else None
    live = (
        LiveSettings()
        if args.live_buffer is None
        else LiveSettings(buffer_size=max(1, args.live_buffer))
    )
    settings = Settings(
        secure_cookies=args.secure_cookies,
        allowed_origins=frozenset(args.allow_origin),
        live=live,
        checkpoint_every=every,
        mail=mail_settings(parser, args, f"http://{args.host}:{args.port}/"),
    )
    body_timeout = args.body_timeout or DEFAULT_BODY_TIMEOUT_SECONDS
    listening = Listening(args.host, args.port, args.forwarded_allow_ips, body_timeout)
    return serve(url, listening, args.demo, settings)


def main(argv: list[str] | None = None) -> int:
    parser = concord_parser()
    args = parser.parse_args(argv)
    if args.command == "witness":  # another party's machine: no database at all
        from server.audit.witness import run_witness

        return run_witness(args)
    if runs_a_proof(args):  # offline or over HTTP: no database
        from server.audit.proof_cli import run_proof_command

        return run_proof_command(args) or 0
    if args.command == "verify" and args.file is not None:  # offline: no database at all
        from server.audit.commands import verify_file

        return verify_file(args.file, args.public_key)
    url = database_url(args.db)
    on_sqlite = url.startswith("sqlite")
    if args.command == "serve" and (cpu := cpu_for(args.cpu, on_sqlite=on_sqlite)) is not None:
        try:  # refused before anything is created
            pin_to_cpu(cpu)
        except ValueError as refused:
            parser.error(f"--cpu: {refused}")
    if args.command != "key":  # the others open the database: 0600 before SQLite makes it
        from server.database import create_sqlite_file

        create_sqlite_file(url)  # (and its -wal and -shm, which take the file's mode)
    return _run(parser, args, url)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, url: str) -> int:
    """The command's work, imported here: only what it needs."""
    match args.command:
        case "serve":
            return _serve(parser, args, url)
        case "demo":
            from server.serve_command import demo

            return asyncio.run(demo(url))
        case "user":
            from server.user_commands import run_user_command

            return asyncio.run(run_user_command(url, args))
        case "personal-data":
            from server.personal_data_commands import run_personal_data_command

            return asyncio.run(run_personal_data_command(url, args))
        case "import":
            from server.formats.usdm_commands import run_import
            from server.services import Settings

            return run_import(url, Settings(), args)
        case "db":
            from events import upgrade

            asyncio.run(upgrade(url))
            print(f"database ready: {url}")
            return 0
    return _run_audit_command(parser, args, url)


def _run_audit_command(parser: argparse.ArgumentParser, args: argparse.Namespace, url: str) -> int:
    from server.audit import commands as audit
    from server.services import Settings

    match args.command:
        case "verify":
            return asyncio.run(audit.verify_database(url, Settings()))
        case "export":
            writer = _format_writer(parser, args)
            return asyncio.run(
                audit.export(url, Settings(), args.trial, args.format, args.out, writer)
            )
        case "replay":
            return asyncio.run(audit.replay(url, args.trial, args.at))
        case _:
            return audit.print_public_key(Settings())


if __name__ == "__main__":
    sys.exit(main())
