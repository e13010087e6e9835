"""The ``concord`` command: serve, load the demo, manage users and the database."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.streams import trial_stream
from events import open_store, upgrade
from server.accounts.tables import utc_now
from server.affinity import AUTO, CpuChoice, cpu_for, parse_cpu_choice, pin_to_cpu
from server.audit import commands as audit
from server.audit.proof_cli import add_proof_commands, run_proof_command
from server.audit.witness import add_witness_command, run_witness
from server.bootstrap import open_services
from server.database import create_sqlite_file
from server.demo import DEMO_TRIAL, DRAFT_TRIAL, DemoPerson, load_demo, load_draft_trial
from server.formats import usdm_commands as usdm
from server.formats.document_files import CLI_FORMATS, DocumentChoice, write_document
from server.formats.protocol_document import Copy
from server.http.body_deadline import DEFAULT_BODY_TIMEOUT_SECONDS
from server.live.connection import DEFAULT_BUFFER_SIZE, LiveSettings
from server.notifications.options import add_mail_options, mail_settings
from server.personal_data_commands import add_personal_data_commands, run_personal_data_command
from server.services import Services, Settings
from server.user_commands import add_user_commands, run_user_command

DEFAULT_DATA_DIR = Path(os.environ.get("CONCORD_DATA_DIR", "data"))


def database_url(explicit: str | None = None) -> str:
    """``--db``, else CONCORD_DATABASE_URL, else an SQLite file in the data folder."""
    if explicit:
        return explicit
    if url := os.environ.get("CONCORD_DATABASE_URL"):
        return url
    DEFAULT_DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # the database, the key
    return f"sqlite:///{(DEFAULT_DATA_DIR / 'concord.sqlite').resolve()}"


async def _load_demo(services: Services) -> None:
    people = await load_demo(services)
    await load_draft_trial(services, people)
    _print_demo(people)


def _print_demo(people: list[DemoPerson]) -> None:
    print(f"Demo trial '{DEMO_TRIAL}' loaded. Sign in as any of these (passwords shown once):")
    for person in people:
        print(
            f"  {person.username:<6} {person.password}  {person.printed_name}, {person.role.value}"
        )
    print(
        f"Also '{DRAFT_TRIAL}', whose protocol is still a draft: sign in as ivy and as omar"
        " in two browsers and edit a section together."
    )


DEMO_PASSWORDS_HINT = (
    "Its passwords were shown once, when it was loaded. For a new one-time password:"
    " concord user reset USERNAME (usernames: concord user list)."
)


async def _demo(url: str) -> int:
    store = await open_store(url)  # is it there? One read, before opening every projection
    try:
        loaded = bool(await store.read_stream(trial_stream(DEMO_TRIAL), limit=1))
    finally:
        await store.close()
    if loaded:
        print(f"the demo trial '{DEMO_TRIAL}' is already loaded in {url}")
        print(DEMO_PASSWORDS_HINT)
        return 1
    async with open_services(url) as services:
        await _load_demo(services)
    return 0


@dataclass(frozen=True)
class Listening:
    """Where ``concord serve`` listens and what it believes of the connections it gets."""

    host: str
    port: int
    forwarded_allow_ips: tuple[str, ...] = ()
    """Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (none: the
    connection's own address is the client's)."""
    body_timeout: float = DEFAULT_BODY_TIMEOUT_SECONDS


def _serve(url: str, listening: Listening, with_demo: bool, settings: Settings) -> int:
    import uvicorn

    from server.app import create_app
    from server.collector import tune_for_serving

    @asynccontextmanager
    async def services_with_banner() -> AsyncIterator[Services]:
        async with open_services(url, settings=settings) as services:
            if with_demo and services.directory.trial(DEMO_TRIAL) is None:
                await _load_demo(services)
            elif with_demo:
                print(f"The demo trial '{DEMO_TRIAL}' was loaded earlier.", DEMO_PASSWORDS_HINT)
            tune_for_serving()
            address = f"http://{listening.host}:{listening.port}/"
            print(f"Concord is running on {address} (database: {url})", flush=True)
            yield services

    app = create_app(services_with_banner, body_timeout=listening.body_timeout)
    trusted = listening.forwarded_allow_ips
    uvicorn.run(
        app,
        host=listening.host,
        port=listening.port,
        log_level="warning",
        # No per-message compression on websockets: it would compress every live event
        # once per listener (a zlib stream each), which costs more than the small frames save.
        ws_per_message_deflate=False,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: anyone
        # connecting there could then be any client to the sign-in throttle
        proxy_headers=bool(trusted),
        forwarded_allow_ips=",".join(trusted) if trusted else None,
    )
    return 0


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


def _audit_commands(commands: Any) -> None:
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
        "--format", choices=("jsonl", "csv", "pdf", "usdm", *CLI_FORMATS), required=True
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
        choices=[copy.value for copy in Copy],
        help="with --amendment: clean (the default) or tracked against its base version",
    )
    replay = commands.add_parser("replay", help="print a trial as it was at a position or time")
    replay.add_argument("--trial", required=True)
    replay.add_argument("--at", required=True, help="a log position or an ISO 8601 time")
    commands.add_parser("key", help="print the server's public signing key (PEM)")


def _format_writer(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> audit.ExportWriter | None:
    """What writes an export of ``server/formats`` (None: the audit's own formats)."""
    document = _document_choice(parser, args)
    if args.at is not None and args.format != "usdm":
        parser.error("--at is for a usdm export")
    if args.format == "usdm":
        return lambda store, part: usdm.write_usdm(store, args.trial, part, args.at)
    if document is not None:
        return lambda store, part: write_document(
            store, args.trial, args.format, part, document, now=utc_now()
        )
    return None


def _document_choice(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> DocumentChoice | None:
    """``--version``, ``--amendment`` and ``--copy`` of a protocol document's export."""
    if args.format not in CLI_FORMATS:
        if args.version or args.amendment or args.copy:
            parser.error("--version, --amendment and --copy are for protocol-pdf|protocol-docx")
        return None
    if args.version and args.amendment:
        parser.error("--version or --amendment, not both")
    if args.copy and not args.amendment:
        parser.error("--copy is for an amendment's protocol (--amendment A)")
    return DocumentChoice(
        version=args.version, amendment=args.amendment, copy=Copy(args.copy or Copy.CLEAN)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="concord", description=__doc__)
    parser.add_argument("--db", help="database URL (default: CONCORD_DATABASE_URL or ./data)")
    commands = parser.add_subparsers(dest="command", required=True)
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
    serve.add_argument(
        "--live-buffer",
        type=int,
        default=DEFAULT_BUFFER_SIZE,
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
    serve.add_argument(
        "--body-timeout",
        type=_seconds,
        default=DEFAULT_BODY_TIMEOUT_SECONDS,
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
    commands.add_parser("demo", help="load the demo trial and print its passwords")
    add_user_commands(commands)
    add_personal_data_commands(commands)
    db = commands.add_parser("db", help="database maintenance")
    db.add_subparsers(dest="db_command", required=True).add_parser("upgrade")
    _audit_commands(commands)
    usdm.add_import_command(commands)
    add_witness_command(commands)
    add_proof_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "witness":  # another party's machine: no database at all
        return run_witness(args)
    if (proved := run_proof_command(args)) is not None:  # offline or over HTTP: no database
        return proved
    if args.command == "verify" and args.file is not None:  # offline: no database at all
        return audit.verify_file(args.file, args.public_key)
    url = database_url(args.db)
    on_sqlite = url.startswith("sqlite")
    if args.command == "serve" and (cpu := cpu_for(args.cpu, on_sqlite=on_sqlite)) is not None:
        try:  # refused before anything is created
            pin_to_cpu(cpu)
        except ValueError as refused:
            parser.error(f"--cpu: {refused}")
    if args.command != "key":  # the others open the database: 0600 before SQLite makes it
        create_sqlite_file(url)  # (and its -wal and -shm, which take the file's mode)
    match args.command:
        case "serve":
            every = args.checkpoint_minutes * 60 if args.checkpoint_minutes > 0 else None
            settings = Settings(
                secure_cookies=args.secure_cookies,
                allowed_origins=frozenset(args.allow_origin),
                live=LiveSettings(buffer_size=max(1, args.live_buffer)),
                checkpoint_every=every,
                mail=mail_settings(parser, args, f"http://{args.host}:{args.port}/"),
            )
            listening = Listening(args.host, args.port, args.forwarded_allow_ips, args.body_timeout)
            return _serve(url, listening, args.demo, settings)
        case "demo":
            return asyncio.run(_demo(url))
        case "user":
            return asyncio.run(run_user_command(url, args))
        case "personal-data":
            return asyncio.run(run_personal_data_command(url, args))
        case "verify":
            return asyncio.run(audit.verify_database(url, Settings()))
        case "export":
            writer = _format_writer(parser, args)
            return asyncio.run(
                audit.export(url, Settings(), args.trial, args.format, args.out, writer)
            )
        case "import":
            return usdm.run_import(url, Settings(), args)
        case "replay":
            return asyncio.run(audit.replay(url, args.trial, args.at))
        case "key":
            return audit.print_public_key(Settings())
        case _:
            asyncio.run(upgrade(url))
            print(f"database ready: {url}")
            return 0


if __name__ == "__main__":
    sys.exit(main())
