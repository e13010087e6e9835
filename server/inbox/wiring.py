"""The inbox as the composition root builds it: the erasure requests read as the HTTP
routes read them (the trials a person took part in from the directory, each trial's
charter and members from the state cache)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.streams import trial_stream
from domain.workspace_state import TrialState
from events import EventStore
from rbac import Authorizer
from server.accounts.account_log import AccountLog
from server.accounts.users import Accounts
from server.commands.aggregates import WORKSPACE
from server.commands.directory import Directory
from server.commands.state_cache import StateCache
from server.erasure_requests import ErasureRequests
from server.inbox.items import Inbox


def open_inbox(
    store: EventStore,
    engine: AsyncEngine,
    states: StateCache,
    directory: Directory,
    authorizer: Authorizer,
    accounts: Accounts,
    account_log: AccountLog,
) -> Inbox:
    """The process's inbox over its state cache, directory and policy."""

    async def trials_of(user_id: str) -> list[str]:
        return [entry.trial_id for entry in directory.trials_of(user_id)]

    async def workspace_of(trial_id: str) -> TrialState:
        return (await states.load(WORKSPACE, trial_stream(trial_id))).state

    erasures = ErasureRequests(
        store, engine, accounts, account_log, trials_of=trials_of, workspace_of=workspace_of
    )
    return Inbox(store, states, directory, authorizer, erasures, accounts)
