"""``concord personal-data ...``: the arguments (the work:
:mod:`server.personal_data_commands`).

Apart from the handlers so that building the ``concord`` parser imports nothing a
command does not need.
"""

from __future__ import annotations

from typing import Any


def add_personal_data_commands(commands: Any) -> None:
    """The ``personal-data`` command and its subcommands, on ``concord``'s subparsers."""
    personal = commands.add_parser(
        "personal-data", help="erase a person's names from every output (the log keeps its hash)"
    )
    sub = personal.add_subparsers(dest="personal_data_command", required=True)
    erase = sub.add_parser(
        "erase",
        help="request, approve or withdraw erasing an account's personal data: once approved"
        " per each trial's charter, its names read as [erased] everywhere, and concord"
        " verify still passes",
    )
    steps = erase.add_subparsers(dest="erasure_step", required=True)
    request = steps.add_parser("request", help="a system admin asks for the erasure")
    request.add_argument("username", help="whose personal data (a disabled account)")
    request.add_argument("--reason", required=True, help="why (recorded in the account's trail)")
    request.add_argument(
        "--requested-by", required=True, help="the username of the system admin who asks"
    )
    approve = steps.add_parser(
        "approve", help="approve a pending erasure for one trial (as a member its charter names)"
    )
    approve.add_argument("username", help="whose personal data")
    approve.add_argument(
        "--trial",
        default=None,
        help="the trial approving; leave it out for a second system admin's approval when"
        " the person took part in no trial",
    )
    approve.add_argument("--approved-by", required=True, help="the username of who approves")
    withdraw = steps.add_parser("withdraw", help="withdraw a pending erasure")
    withdraw.add_argument("username", help="whose personal data")
    withdraw.add_argument("--reason", required=True, help="why (recorded in the account's trail)")
    withdraw.add_argument(
        "--withdrawn-by", required=True, help="the username of the system admin who withdraws it"
    )
    rotate = sub.add_parser(
        "rotate", help="seal what is recorded about an account from now on under a new key"
    )
    rotate.add_argument("username")
