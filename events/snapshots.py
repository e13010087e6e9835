"""Projection snapshots beside the log (``projection_snapshots``).

A projection that folds the log (the directory, the authorization policy) saves its state
now and then as bytes at a log position, and a process starts from the newest snapshot
that checks out and reads only the log after it. A snapshot is derived data, never the
record. It is used only if

- its ``schema_version`` is the one the projection reads now;
- its ``digest`` (SHA-256) matches its bytes;
- the log has an event at its ``position`` and that event's hash is the ``log_hash``
  recorded with it (so a snapshot of another log, or of a log since rebuilt or restored
  from an older backup, is not), and that position is at or before the head caught up to.

Any other is ignored with a warning and the projection reads more of the log: the worst a
bad snapshot costs is time. Each name keeps only its newest :data:`KEEP` snapshots.

The store knows no projection: a name, a position, a schema version and bytes. What the
bytes hold is the projection's business, in a format that cannot run code when read (JSON,
never pickle). The digest catches damage, not forgery: whoever can write the database can
also write its accounts. Created by ``migrations/versions/0007_projection_snapshots.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from events.canonical import format_timestamp
from events.schema import events

KEEP = 3
"""Snapshots kept per name: the newest, and two to fall back on if it does not check out."""

SAVE_EVERY = 50_000
"""Log positions between two snapshots of a projection. Reading 50,000 events takes a
fraction of a second, so a start reads at most that much after its snapshot."""

metadata = MetaData()
projection_snapshots = Table(
    "projection_snapshots",
    metadata,
    Column("name", String(200), primary_key=True),
    Column(
        "position",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("schema_version", Integer, nullable=False),
    Column("log_hash", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("saved_at", String(27), nullable=False),
)

CatchUpProgress = Callable[[int, int, int], None]
"""``progress(start, done, head)``: a projection catching up from position ``start`` has
read the log up to ``done`` of ``head``."""

SNAPSHOT_UNREADABLE: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    msgspec.MsgspecError,
)
"""What a projection's ``restore`` may raise for bytes it cannot read."""

logger = logging.getLogger(__name__)


def digest(content: bytes) -> str:
    """SHA-256 of a snapshot's bytes, in hex."""
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True, slots=True)
class ProjectionSnapshot:
    """The state of the projection ``name`` after the log's event at ``position``."""

    name: str
    position: int
    schema_version: int
    data: bytes


class ProjectionSnapshots:
    """The snapshots in ``engine``'s database (the event store's database). The
    projections given it save theirs every ``every`` log positions; each name keeps its
    newest ``keep``."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        every: int = SAVE_EVERY,
        keep: int = KEEP,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if every < 1:
            raise ValueError(f"save every 1 position or more, not {every}")
        if keep < 1:
            raise ValueError(f"keep at least one snapshot a name, not {keep}")
        self.every = every
        self._engine = engine
        self._keep = keep
        self._clock = clock
        self._saving: set[asyncio.Task[None]] = set()

    async def newest(
        self, name: str, schema_version: int, *, at_most: int | None = None
    ) -> ProjectionSnapshot | None:
        """The newest snapshot of ``name`` at or before position ``at_most`` that checks
        out (see the module's docstring), or None; each one passed over is logged."""
        table = projection_snapshots
        query = (
            select(table.c.position, table.c.schema_version, table.c.log_hash, table.c.digest)
            .add_columns(events.c.hash)
            .select_from(table.outerjoin(events, events.c.position == table.c.position))
            .where(table.c.name == name)
            .order_by(table.c.position.desc())
        )
        if at_most is not None:
            query = query.where(table.c.position <= at_most)
        async with self._engine.connect() as conn:
            for row in (await conn.execute(query)).all():
                problem = _problem(row.schema_version, schema_version, row.log_hash, row.hash)
                if problem is None:
                    stored = await conn.scalar(
                        select(table.c.data).where(
                            table.c.name == name, table.c.position == row.position
                        )
                    )
                    if stored is None:
                        continue  # pruned by another process meanwhile
                    data = bytes(stored)
                    if await asyncio.to_thread(digest, data) == row.digest:
                        return ProjectionSnapshot(name, row.position, row.schema_version, data)
                    problem = "its digest does not match its bytes"
                ignored(name, row.position, problem)
        return None

    async def save(self, snapshot: ProjectionSnapshot) -> None:
        """Keep ``snapshot`` (its position must be an event of the log: ValueError
        otherwise), then forget all but the newest :data:`KEEP` of its name. One saved
        at the same position before is replaced (it may be damaged, or from an older
        version of the projection); if another process saves the same at once, one wins."""
        content_digest = await asyncio.to_thread(digest, snapshot.data)
        table = projection_snapshots
        try:
            async with self._engine.begin() as conn:
                log_hash = await conn.scalar(
                    select(events.c.hash).where(events.c.position == snapshot.position)
                )
                if log_hash is None:
                    raise ValueError(f"the log has no event at position {snapshot.position}")
                await conn.execute(
                    delete(table).where(
                        table.c.name == snapshot.name, table.c.position == snapshot.position
                    )
                )
                await conn.execute(
                    table.insert().values(
                        name=snapshot.name,
                        position=snapshot.position,
                        schema_version=snapshot.schema_version,
                        log_hash=log_hash,
                        digest=content_digest,
                        data=snapshot.data,
                        saved_at=format_timestamp(self._clock()),
                    )
                )
        except IntegrityError:
            pass  # saved at that position already
        await self._prune(snapshot.name)

    def save_later(
        self, name: str, position: int, schema_version: int, encode: Callable[[], bytes]
    ) -> None:
        """Save the bytes ``encode()`` returns as a snapshot, in a task of its own (a
        failure is logged): ``encode`` runs in a worker thread, so it must read only what
        nobody changes meanwhile (a copy taken at ``position``). :meth:`close` waits for
        the saves under way."""
        task = asyncio.create_task(
            self._save_logged(name, position, schema_version, encode), name=f"save {name}"
        )
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    async def close(self) -> None:
        """Wait until every save under way has ended."""
        while self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)

    async def _save_logged(
        self, name: str, position: int, schema_version: int, encode: Callable[[], bytes]
    ) -> None:
        try:
            data = await asyncio.to_thread(encode)
            await self.save(ProjectionSnapshot(name, position, schema_version, data))
        except Exception:
            logger.exception("could not save the %s snapshot at position %d", name, position)
        else:
            logger.info("saved the %s snapshot at position %d", name, position)

    async def _prune(self, name: str) -> None:
        table = projection_snapshots
        async with self._engine.begin() as conn:
            oldest_kept = await conn.scalar(
                select(table.c.position)
                .where(table.c.name == name)
                .order_by(table.c.position.desc())
                .offset(self._keep - 1)
                .limit(1)
            )
            if oldest_kept is not None:
                await conn.execute(
                    delete(table).where(table.c.name == name, table.c.position < oldest_kept)
                )


class SnapshotSchedule:
    """One projection's snapshots: where its catch-up starts, and when it saves the next
    one (``snapshots.every`` log positions after the last one it started from or saved)."""

    def __init__(self, snapshots: ProjectionSnapshots, name: str, schema_version: int) -> None:
        self.snapshots = snapshots
        self.name = name
        self.schema_version = schema_version
        self._last = 0

    async def restore_newest(self, head: int, restore: Callable[[bytes], None]) -> int:
        """Hand the bytes of the newest snapshot at or before ``head`` that checks out to
        ``restore``, and return its position: the projection reads the log after it. 0
        when there is none, or when ``restore`` refuses it (raising one of
        :data:`SNAPSHOT_UNREADABLE`; it must then leave the projection as it was)."""
        snapshot = await self.snapshots.newest(self.name, self.schema_version, at_most=head)
        self._last = 0
        if snapshot is None:
            return 0
        try:
            restore(snapshot.data)
        except SNAPSHOT_UNREADABLE as unreadable:
            ignored(self.name, snapshot.position, f"its data cannot be read: {unreadable}")
            return 0
        self._last = snapshot.position
        logger.info("starting from the %s snapshot at position %d", self.name, snapshot.position)
        return snapshot.position

    def due(self, position: int) -> bool:
        """Whether the state after ``position`` should be saved."""
        return position - self._last >= self.snapshots.every

    def save(self, position: int, encode: Callable[[], bytes]) -> None:
        """Save what ``encode()`` returns (in a worker thread: see
        :meth:`ProjectionSnapshots.save_later`) as the state after ``position``."""
        self._last = position
        self.snapshots.save_later(self.name, position, self.schema_version, encode)


def ignored(name: str, position: int, problem: str) -> None:
    """Log that the snapshot of ``name`` at ``position`` is not used, and why."""
    logger.warning("ignoring the %s snapshot at position %d: %s", name, position, problem)


def _problem(
    stored_version: int, schema_version: int, log_hash: str, hash_at_position: str | None
) -> str | None:
    if stored_version != schema_version:
        return f"schema version {stored_version}, not {schema_version}"
    if hash_at_position is None:
        return "the log has no event at its position"
    if hash_at_position != log_hash:
        return "the log's event at its position has another hash"
    return None
