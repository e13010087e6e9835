"""``concord user ...``: the operator's account commands, run on the server's machine.

Each opens the account tables and the log's writer only (:mod:`server.bootstrap_accounts`),
never the projections a server follows the log with, so its cost does not grow with the
log. Every change is recorded in the account's stream like one made through the API; the
actor is ``operator:{the operating-system user}`` (who ran the command), ``via: cli``.

A password the operator sets for someone (``create``) or the one-time password of a
``reset`` must be changed by its owner at the first sign-in, before anything else.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from domain.account_events import SystemRole
from server.accounts.account_log import operator_actor
from server.accounts.users import User
from server.bootstrap_accounts import AccountTools, open_accounts
from server.user_arguments import PASSWORD_VARIABLE


def operator_meta() -> dict[str, str]:
    """Who runs this command, for the account log."""
    return {"actor": operator_actor(getpass.getuser()), "via": "cli"}


async def run_user_command(url: str, args: argparse.Namespace) -> int:
    """Carry out ``concord user {args.user_command}``; the exit status."""
    async with open_accounts(url) as tools:
        try:
            return await _run(tools, args)
        except ValueError as refused:
            print(f"refused: {refused}", file=sys.stderr)
            return 1
        except LookupError as missing:
            print(f"not found: {missing}", file=sys.stderr)
            return 1


async def _run(tools: AccountTools, args: argparse.Namespace) -> int:
    command: str = args.user_command
    if command == "create":
        password = os.environ.get(PASSWORD_VARIABLE) or getpass.getpass("Password: ")
        user = await tools.accounts.create_user(
            args.username,
            args.printed_name,
            password,
            must_change_password=True,
            meta=operator_meta(),
        )
        print(f"created {user.username} ({user.printed_name}): user id {user.user_id}")
        print("they must change this password when they first sign in")
        return 0
    if command == "list":
        for listed in await tools.accounts.list_users():
            state = await tools.log.state(listed.user_id)
            print(_listing(listed, sorted(state.system_roles)))
        return 0
    user = await _named(tools, args.username)
    match command:
        case "disable":
            await tools.accounts.disable(user.user_id, reason=args.reason, meta=operator_meta())
            print(f"disabled {user.username}: their sessions and API tokens stopped working")
        case "enable":
            await tools.accounts.enable(user.user_id, reason=args.reason, meta=operator_meta())
            print(f"enabled {user.username}")
        case "reset":
            password = await tools.accounts.reset_password(user.user_id, meta=operator_meta())
            print(f"one-time password for {user.username}: {password}")
            print("it must be changed at the next sign-in; every session of theirs ended")
        case "grant":
            role = SystemRole(args.role)
            await tools.roles.grant(user.user_id, role, reason=args.reason, meta=operator_meta())
            print(f"granted {role.value} to {user.username}")
        case "revoke":
            role = SystemRole(args.role)
            await tools.roles.revoke(user.user_id, role, reason=args.reason, meta=operator_meta())
            print(f"revoked {role.value} from {user.username}")
        case _:
            await tools.accounts.throttle.unlock(user.username)
            print(f"{user.username} may try to sign in again")
    return 0


async def _named(tools: AccountTools, username: str) -> User:
    user = await tools.accounts.by_username(username)
    if user is None:
        raise LookupError(f"no account has the username {username!r}")
    return user


def _listing(user: User, roles: list[SystemRole]) -> str:
    state = "disabled" if user.disabled else "enabled"
    if user.must_change_password:
        state += ", must change password"
    held = ", ".join(role.value for role in roles) or "no system role"
    return f"{user.username:<20} {user.printed_name:<30} {state:<32} {held}"
