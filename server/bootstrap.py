"""The composition root: opens the real adapters and wires the services once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from sqlalchemy.engine import URL

from events import open_store
from rbac import Authorizer
from server.accounts.credential_cache import CredentialCache
from server.accounts.sessions import Sessions
from server.accounts.tables import utc_now
from server.accounts.tokens import ApiTokens
from server.accounts.users import Accounts
from server.audit.checkpoints import Checkpoints
from server.audit.history import TrialHistory
from server.audit.signing import SigningKey
from server.commands.directory import Directory
from server.commands.reactions import REACTIONS
from server.commands.service import CommandService
from server.commands.state_cache import StateCache
from server.database import create_engine_for
from server.live.feed import LiveFeed
from server.live.presence_relay import PostgresPresenceRelay
from server.live.tickets import LiveTickets
from server.services import Services, Settings


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
        stack.push_async_callback(states.close)
        await states.start()
        credentials = CredentialCache()
        relay = PostgresPresenceRelay(engine) if engine.dialect.name == "postgresql" else None
        live = LiveFeed(store, relay)
        await live.start()
        stack.push_async_callback(live.close)
        settings = settings or Settings()
        checkpoints = Checkpoints(store, engine, SigningKey(settings.signing_key), clock)
        if settings.checkpoint_every is not None:
            signing = asyncio.create_task(checkpoints.sign_every(settings.checkpoint_every))
            stack.push_async_callback(_stop, signing)

        async def settled(position: int) -> None:
            await directory.follower.wait_for(position)
            await authorizer.wait_for(position)

        history = TrialHistory(store)
        stack.push_async_callback(history.close)
        yield Services(
            store=store,
            states=states,
            directory=directory,
            authorizer=authorizer,
            commands=CommandService(store, states, directory, settled=settled, reactions=REACTIONS),
            accounts=Accounts(engine, now=clock, credentials=credentials),
            sessions=Sessions(engine, now=clock, credentials=credentials),
            tokens=ApiTokens(engine, now=clock, credentials=credentials),
            live=live,
            live_tickets=LiveTickets(engine, now=clock),
            history=history,
            checkpoints=checkpoints,
            clock=clock,
            settings=settings,
        )


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
