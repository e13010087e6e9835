"""The composition root: opens the real adapters and wires the services once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from sqlalchemy.engine import URL

from events import open_store
from rbac import Authorizer
from server.account_tables import utc_now
from server.accounts import Accounts
from server.aggregates import StateCache
from server.api_tokens import ApiTokens
from server.audit.history import TrialHistory
from server.commanding import CommandService
from server.database import create_engine_for
from server.directory import Directory
from server.services import Services, Settings
from server.sessions import Sessions


@asynccontextmanager
async def open_services(
    url: str | URL,
    *,
    clock: Callable[[], datetime] = utc_now,
    settings: Settings | None = None,
) -> AsyncIterator[Services]:
    """Migrate the database at ``url``, open everything, and close it all on exit."""
    async with AsyncExitStack() as stack:
        store = await open_store(url)
        stack.push_async_callback(store.close)
        engine = create_engine_for(url)
        stack.push_async_callback(engine.dispose)
        directory = Directory(store)
        stack.push_async_callback(directory.close)
        await directory.start()
        authorizer = await Authorizer.start(store)
        stack.push_async_callback(authorizer.close)
        states = StateCache(store)
        yield Services(
            store=store,
            states=states,
            directory=directory,
            authorizer=authorizer,
            commands=CommandService(store, states, directory, settled=authorizer.wait_for),
            accounts=Accounts(engine, now=clock),
            sessions=Sessions(engine, now=clock),
            tokens=ApiTokens(engine, now=clock),
            history=TrialHistory(store),
            clock=clock,
            settings=settings or Settings(),
        )
