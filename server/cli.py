"""The ``concord`` command.

The HTTP server and the demo trial arrive with the server issue; until then ``serve``
prepares the database and says so, and ``db upgrade`` / ``verify`` work on any database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from events import open_store, upgrade

DEFAULT_DATA_DIR = Path(os.environ.get("CONCORD_DATA_DIR", "data"))


def database_url(explicit: str | None = None) -> str:
    """``--db``, else CONCORD_DATABASE_URL, else an SQLite file in the data folder."""
    if explicit:
        return explicit
    if url := os.environ.get("CONCORD_DATABASE_URL"):
        return url
    DEFAULT_DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(DEFAULT_DATA_DIR / 'concord.sqlite').resolve()}"


async def _verify(url: str) -> int:
    store = await open_store(url)
    try:
        report = await store.verify()
    finally:
        await store.close()
    if report.ok:
        print(f"ok: {report.checked} events, head {report.head_position} {report.head_hash}")
        return 0
    print(f"BROKEN at position {report.first_bad_position}: {report.problem}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="concord", description=__doc__)
    parser.add_argument("--db", help="database URL (default: CONCORD_DATABASE_URL or ./data)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run Concord")
    db = commands.add_parser("db", help="database maintenance")
    db.add_subparsers(dest="db_command", required=True).add_parser("upgrade")
    commands.add_parser("verify", help="recompute the log's hash chain")
    args = parser.parse_args(argv)
    url = database_url(args.db)
    if args.command == "verify":
        return asyncio.run(_verify(url))
    asyncio.run(upgrade(url))
    print(f"database ready: {url}")
    if args.command == "serve":
        print("The Concord web server is not built yet (issue: the server); the event log is.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
