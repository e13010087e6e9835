"""``concord user ...``: the arguments (the work: :mod:`server.user_commands`).

Apart from the handlers so that building the ``concord`` parser imports nothing a
command does not need (the account tables, the log's writer).
"""

from __future__ import annotations

from typing import Any

from domain.account_events import SystemRole

PASSWORD_VARIABLE = "CONCORD_PASSWORD"


def add_user_commands(commands: Any) -> None:
    """The ``user`` command and its subcommands, on the ``concord`` parser's subparsers."""
    user = commands.add_parser("user", help="manage user accounts (recorded in the account log)")
    sub = user.add_subparsers(dest="user_command", required=True)
    create = sub.add_parser(
        "create",
        help=f"create an account (password from {PASSWORD_VARIABLE} or prompted; its owner"
        " must change it at the first sign-in)",
    )
    create.add_argument("username")
    create.add_argument("printed_name", help="the name shown on signatures")
    sub.add_parser("list", help="every account: state and system roles")
    for name, what in (("disable", "disable an account"), ("enable", "enable it again")):
        change = sub.add_parser(name, help=what)
        change.add_argument("username")
        change.add_argument("--reason", required=True, help="why (recorded)")
    reset = sub.add_parser(
        "reset", help="give an account a one-time password, to be changed at the next sign-in"
    )
    reset.add_argument("username")
    for name, what in (("grant", "grant a system role"), ("revoke", "revoke a system role")):
        role = sub.add_parser(name, help=what)
        role.add_argument("username")
        role.add_argument("role", choices=[r.value for r in SystemRole])
        role.add_argument("--reason", required=True, help="why (recorded)")
    unlock = sub.add_parser("unlock", help="lift a sign-in lockout after too many failures")
    unlock.add_argument("username")
