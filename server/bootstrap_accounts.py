"""The composition for commands that touch accounts only (``concord user ...``).

:func:`server.bootstrap.open_services` opens everything a server needs: the log's
follower and every projection it feeds (the policy, the directory, the state cache, the
shared texts, the live feed). Their cost grows with the log. An account command writes a
row of the account tables and an event or two of the account's stream, and reads only
that stream, so its cost must not: this opens the migrated database's account tables and
the log's writer, and nothing that follows the log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.engine import URL

from events import open_store
from server.accounts.account_log import AccountLog
from server.accounts.system_roles import SystemRoles
from server.accounts.tables import Clock, utc_now
from server.accounts.users import Accounts
from server.database import create_engine_for
from server.personal_data import seal_personal_data


@dataclass(frozen=True, slots=True)
class AccountTools:
    """What an account command works with."""

    accounts: Accounts
    log: AccountLog
    roles: SystemRoles


@asynccontextmanager
async def open_accounts(url: str | URL, *, clock: Clock = utc_now) -> AsyncIterator[AccountTools]:
    """Migrate the database at ``url`` and open its accounts and account log; closed on
    exit.

    Nothing here follows the log, so a change made through this is seen by a running
    server at its next read of the account tables (the credential cache holds a credential
    at most 5 seconds) and, for system roles, as soon as its follower reads the event."""
    store = await open_store(url)
    seal_personal_data(store)  # the names and usernames it records are sealed
    engine = create_engine_for(url)
    try:
        log = AccountLog(store)
        accounts = Accounts(engine, now=clock, log=log)
        yield AccountTools(accounts, log, SystemRoles(log, accounts))
    finally:
        await engine.dispose()
        await store.close()
