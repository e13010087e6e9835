"""``concord personal-data ...``: erase a person's personal data (or give them a new key),
run by the operator on the server's machine.

An erasure follows the same rules as over HTTP (:mod:`domain.erasure_requests`): a system
admin requests it (``erase request USERNAME --reason R --requested-by ADMIN``), each
trial the person took part in approves it through a member its charter names (``erase
approve USERNAME --trial T --approved-by NAME``; without ``--trial``, a second system
admin's approval when they took part in none), and the approval that completes the set
carries it out; ``erase withdraw`` withdraws a pending one. The operator vouches for the
person named: each event records them as its ``requested_by``/``approved_by``/
``withdrawn_by``, the operator as ``vouched_by`` and in its meta (``via: cli``), and the
named account must be enabled. Nothing here follows the log: the trials a person took
part in are folded from the log when a request is made (the whole log: seconds on a
large one), each trial's charter and members from its stream.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from domain.catalog import from_data
from domain.erasure_requests import PendingErasure
from domain.errors import DomainError
from domain.personal_data import user_subject
from domain.streams import trial_stream
from domain.workspace_state import TrialState
from events import EventStore, open_store
from server.accounts.users import User
from server.bootstrap_accounts import AccountTools, open_accounts
from server.commands.aggregates import WORKSPACE
from server.commands.directory import Directory
from server.commands.errors import ConcurrentChange
from server.database import create_engine_for
from server.erasure_requests import ErasureRequests, TrialsOf, WorkspaceOf
from server.personal_data import AccountStillEnabled, seal_personal_data
from server.user_commands import operator_meta


class Refused(Exception):
    """The command was refused; the message says why."""


async def run_personal_data_command(url: str, args: argparse.Namespace) -> int:
    """Carry out ``concord personal-data {args.personal_data_command}``; the exit status."""
    async with open_accounts(url) as tools:
        person = await tools.accounts.by_username(args.username)
        if person is None:
            print(f"not found: no account {args.username!r}", file=sys.stderr)
            return 1
        store = await open_store(url)
        try:
            if args.personal_data_command == "rotate":
                key_id = await store.personal_data.rotate(user_subject(person.user_id))
                print(f"{person.username}'s data is sealed under key {key_id} from now on")
                return 0
            seal_personal_data(store)
            print(await _erasure_step(url, store, tools, person, args))
            return 0
        except (Refused, DomainError, AccountStillEnabled, ConcurrentChange) as refused:
            print(f"refused: {_why(refused)}", file=sys.stderr)
            return 1
        finally:
            await store.close()


def _why(refused: Exception) -> str:
    if isinstance(refused, DomainError):
        return f"{refused.title()}: {refused}"
    return str(refused)


async def _erasure_step(
    url: str, store: EventStore, tools: AccountTools, person: User, args: argparse.Namespace
) -> str:
    engine = create_engine_for(url)
    try:
        requests = ErasureRequests(
            store,
            engine,
            tools.accounts,
            tools.log,
            trials_of=_trials_of(store),
            workspace_of=_workspace_of(store),
        )
        meta = operator_meta()
        vouched_by = meta["actor"]
        match args.erasure_step:
            case "request":
                admin = await _system_admin(tools, requests, args.requested_by)
                folded = await requests.request(
                    person,
                    reason=args.reason,
                    requested_by=admin.user_id,
                    meta=meta,
                    vouched_by=vouched_by,
                )
                assert folded.pending is not None
                return f"requested the erasure of {_who(person)}; " + _awaiting(folded.pending)
            case "approve":
                approver = await _enabled(tools, args.approved_by)
                approval = await requests.approve(
                    person, trial_id=args.trial, approver=approver, meta=meta, vouched_by=vouched_by
                )
                if approval.erasure is None:
                    assert approval.pending is not None
                    return f"approved the erasure of {_who(person)}; " + _awaiting(approval.pending)
                erasure = approval.erasure
                return (
                    f"erased {erasure.keys_erased} key(s) of {_who(person)}, recorded at"
                    f" position {erasure.position}; dropped {erasure.snapshots_dropped}"
                    " snapshot(s) that may have held their names. A running concord serve"
                    " reads the erasure from the log and forgets what it had folded of them."
                )
            case _:
                admin = await _system_admin(tools, requests, args.withdrawn_by)
                position = await requests.withdraw(
                    person.user_id,
                    reason=args.reason,
                    withdrawn_by=admin.user_id,
                    meta=meta,
                    vouched_by=vouched_by,
                )
                return f"withdrew the erasure of {_who(person)} (position {position})"
    finally:
        await engine.dispose()


def _who(person: User) -> str:
    return f"{person.username} ({person.user_id})"


def _awaiting(pending: PendingErasure) -> str:
    missing = [f"trial {trial}" if trial else "a second system admin" for trial in pending.awaiting]
    return "awaiting the approval of " + ", ".join(missing)


async def _enabled(tools: AccountTools, username: str) -> User:
    account = await tools.accounts.by_username(username)
    if account is None or account.disabled:
        raise Refused(f"{username!r} is not an enabled account")
    return account


async def _system_admin(tools: AccountTools, requests: ErasureRequests, username: str) -> User:
    account = await tools.accounts.by_username(username)
    if account is None or account.disabled or not await requests.is_system_admin(account.user_id):
        raise Refused(
            f"{username!r} is not an enabled account holding system_admin, who alone may"
            " request or withdraw an erasure"
        )
    return account


def _trials_of(store: EventStore) -> TrialsOf:
    async def trials_of(user_id: str) -> Sequence[str]:
        directory = Directory(store)  # the whole log, folded once for this command
        await directory.catch_up(await store.head_position())
        return [entry.trial_id for entry in directory.trials_of(user_id)]

    return trials_of


def _workspace_of(store: EventStore) -> WorkspaceOf:
    async def workspace_of(trial_id: str) -> TrialState:
        state = WORKSPACE.new
        for recorded in await store.read_stream(trial_stream(trial_id)):
            event = from_data(recorded.type, recorded.data, recorded.schema_version)
            state = WORKSPACE.evolve(state, event)
        return state

    return workspace_of
