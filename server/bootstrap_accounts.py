"""The composition for commands that touch accounts only (``concord user create``).

:func:`server.bootstrap.open_services` opens everything a server needs: the log's
follower and every projection it feeds (the policy, the directory, the state cache, the
shared texts, the live feed). Their cost grows with the log. Creating an account writes
one row of the ``users`` table and reads no event, so its cost must not: this opens the
migrated database's account tables, and nothing of the log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import URL

from events import upgrade
from server.accounts.tables import Clock, utc_now
from server.accounts.users import Accounts
from server.database import create_engine_for


@asynccontextmanager
async def open_accounts(url: str | URL, *, clock: Clock = utc_now) -> AsyncIterator[Accounts]:
    """Migrate the database at ``url`` and open its accounts; closed on exit.

    Nothing here follows the log, so a user created through this is seen by a running
    server at its next read of the ``users`` table (the credential cache holds only
    credentials, never the absence of a user)."""
    await upgrade(url)
    engine = create_engine_for(url)
    try:
        yield Accounts(engine, now=clock)
    finally:
        await engine.dispose()
