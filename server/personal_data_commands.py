"""``concord personal-data ...``: erase a person's personal data (or give them a new key),
run by the operator on the server's machine.

An erasure is approved by a system admin (``--approved-by``: their username; the account
must hold ``system_admin`` and not be disabled): personal data about an account is
recorded across trials, so no one trial's charter can approve erasing it. It is recorded
in the person's account stream, with the reason and the approver, before the keys are
erased (:func:`server.personal_data.erase_personal_data`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from domain.account_events import SystemRole
from domain.personal_data import user_subject
from events import open_store
from server.bootstrap_accounts import open_accounts
from server.database import create_engine_for
from server.personal_data import ErasureRefused, erase_personal_data, seal_personal_data
from server.user_commands import operator_meta


def add_personal_data_commands(commands: Any) -> None:
    """The ``personal-data`` command and its subcommands, on ``concord``'s subparsers."""
    personal = commands.add_parser(
        "personal-data", help="erase a person's names from every output (the log keeps its hash)"
    )
    sub = personal.add_subparsers(dest="personal_data_command", required=True)
    erase = sub.add_parser(
        "erase",
        help="erase the keys of an account's personal data: its names read as [erased]"
        " everywhere, and concord verify still passes",
    )
    erase.add_argument("username", help="whose personal data")
    erase.add_argument("--reason", required=True, help="why (recorded in the account's trail)")
    erase.add_argument(
        "--approved-by", required=True, help="the username of the system admin who approved it"
    )
    rotate = sub.add_parser(
        "rotate", help="seal what is recorded about an account from now on under a new key"
    )
    rotate.add_argument("username")


async def run_personal_data_command(url: str, args: argparse.Namespace) -> int:
    """Carry out ``concord personal-data {args.personal_data_command}``; the exit status."""
    async with open_accounts(url) as tools:
        person = await tools.accounts.by_username(args.username)
        if person is None:
            print(f"not found: no account {args.username!r}", file=sys.stderr)
            return 1
        if args.personal_data_command == "rotate":
            store = await open_store(url)
            try:
                key_id = await store.personal_data.rotate(user_subject(person.user_id))
            finally:
                await store.close()
            print(f"{person.username}'s data is sealed under key {key_id} from now on")
            return 0
        approver = await tools.accounts.by_username(args.approved_by)
        roles = (await tools.log.state(approver.user_id)).system_roles if approver else set()
        if approver is None or approver.disabled or SystemRole.SYSTEM_ADMIN not in roles:
            print(
                f"refused: {args.approved_by!r} is not an enabled account holding system_admin,"
                " who alone may approve an erasure",
                file=sys.stderr,
            )
            return 1
        store = await open_store(url)
        seal_personal_data(store)
        engine = create_engine_for(url)
        try:
            erasure = await erase_personal_data(
                store,
                engine,
                tools.accounts,
                user=person,
                reason=args.reason,
                approved_by=approver.user_id,
                meta=operator_meta(),
            )
        except ErasureRefused as refused:
            print(f"refused: {refused}", file=sys.stderr)
            return 1
        finally:
            await engine.dispose()
            await store.close()
    print(
        f"erased {erasure.keys_erased} key(s) of {person.username} ({person.user_id}),"
        f" recorded at position {erasure.position}; dropped {erasure.snapshots_dropped}"
        " snapshot(s) that may have held their names. A running concord serve reads the"
        " erasure from the log and forgets what it had folded of them."
    )
    return 0
