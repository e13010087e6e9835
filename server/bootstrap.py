"""The composition root: opens the real adapters and wires the services once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from sqlalchemy.engine import URL

from events import open_store
from events.following import LogFollower, Projection
from events.merkle_store import MerkleTree
from events.snapshots import ProjectionSnapshots
from rbac import Authorizer
from server.accounts.account_changes import AccountChanges
from server.accounts.account_log import AccountLog
from server.accounts.credential_cache import CredentialCache
from server.accounts.sessions import Sessions
from server.accounts.tables import utc_now
from server.accounts.tokens import ApiTokens
from server.accounts.users import Accounts
from server.audit.checkpoint_store import StoredCheckpoints
from server.audit.checkpoints import Checkpoints
from server.audit.history import TrialHistory
from server.audit.signing import SigningKey
from server.coediting.documents import SharedDocuments
from server.coediting.snapshots import TextSnapshots
from server.commands.aggregates import TEXT
from server.commands.directory import Directory
from server.commands.reactions import REACTIONS
from server.commands.service import CommandService
from server.commands.state_cache import StateCache
from server.commands.state_snapshots import StateSnapshots
from server.database import create_engine_for
from server.erasure_reaction import ForgetErasedData
from server.inbox.wiring import open_inbox
from server.live.feed import LiveFeed
from server.live.presence_relay import PostgresPresenceRelay
from server.live.tickets import LiveTickets
from server.notifications.notifier import Notifier
from server.personal_data import ErasedKeys, seal_personal_data
from server.services import Services, Settings
from server.startup_progress import StartupProgress


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
        seal_personal_data(store)  # names and usernames stored sealed, erasable
        engine = create_engine_for(url)
        stack.push_async_callback(engine.dispose)
        relay = PostgresPresenceRelay(engine) if engine.dialect.name == "postgresql" else None
        # Derived state saved beside the log: the policy and the directory start from
        # their newest snapshot and read only the log after it (events/snapshots.py).
        snapshots = ProjectionSnapshots(engine)
        stack.push_async_callback(snapshots.close)
        progress = StartupProgress()
        stack.callback(progress.close)
        authorizer = Authorizer(store, snapshots=snapshots, progress=progress.of(Authorizer.name))
        directory = Directory(store, snapshots=snapshots, progress=progress.of(Directory.name))
        state_snapshots = StateSnapshots(snapshots)  # closed with ``snapshots``
        settings = settings or Settings()
        states = StateCache(store, snapshots=state_snapshots, patience=settings.warm_up_wait)
        stack.push_async_callback(states.close)
        live = LiveFeed(relay)
        texts = SharedDocuments(store, TextSnapshots(engine))
        stack.push_async_callback(texts.close)
        states.start_from(TEXT, texts.starting_point)
        # The one follower of the log in this process, and the order every event takes:
        # the policy first, the live feed last (a listener is never offered a role change
        # the policy has not applied, nor an update its server's document has not).
        credentials = CredentialCache()
        changes = AccountChanges(credentials, live.end_user)
        merkle = MerkleTree(store, engine)  # saves its last nodes after the follower closes
        stack.push_async_callback(merkle.close)
        erased = ErasedKeys(store.personal_data)  # first: nothing reads an erased key
        projections: list[Projection] = [erased, authorizer, directory, states, texts, live]
        history = TrialHistory(store, checkpoints=StoredCheckpoints(engine))  # saved, read back
        stack.push_async_callback(history.close)
        forget = ForgetErasedData(
            store, engine, snapshots, states=states, directory=directory, history=history
        )  # last: drops what the others folded before an erasure
        projections += [changes, merkle, forget]
        account_log = AccountLog(store)
        accounts = Accounts(
            engine,
            now=clock,
            credentials=credentials,
            log=account_log,
            policy=settings.password_policy,
        )
        inbox = open_inbox(store, engine, states, directory, authorizer, accounts, account_log)
        notifications = Notifier(  # last: mails about what the others have applied
            engine, settings.mail, clock=clock, directory=directory, inbox=inbox
        )
        stack.push_async_callback(notifications.close)
        if notifications.sends_mail:  # without --smtp it has nothing to follow
            projections.append(notifications)
        follower = LogFollower(store, projections)
        stack.push_async_callback(follower.close)
        await follower.start()
        live.share_presence()
        stack.push_async_callback(live.close)
        key = SigningKey(settings.signing_key)
        checkpoints = Checkpoints(store, engine, key, clock, tree=merkle)  # roots: O(log n)
        if settings.checkpoint_every is not None:
            signing = asyncio.create_task(checkpoints.sign_every(settings.checkpoint_every))
            stack.push_async_callback(_stop, signing)
        notifications.start()  # queued mails of before a restart are sent now

        yield Services(
            store=store,
            follower=follower,
            states=states,
            directory=directory,
            authorizer=authorizer,
            commands=CommandService(
                store, states, directory, settled=follower.wait_for, reactions=REACTIONS
            ),
            accounts=accounts,
            account_log=account_log,
            sessions=Sessions(engine, now=clock, credentials=credentials),
            tokens=ApiTokens(engine, now=clock, credentials=credentials, log=account_log),
            live=live,
            live_tickets=LiveTickets(engine, now=clock),
            history=history,
            checkpoints=checkpoints,
            merkle=merkle,
            texts=texts,
            clock=clock,
            settings=settings,
            inbox=inbox,
            notifications=notifications,
        )


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
