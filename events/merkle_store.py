"""The log's Merkle tree, kept current by the log follower and saved beside the log
(``merkle_nodes``, migration 0009), so a restart resumes where the tree had got to.

:class:`MerkleTree` is a :class:`~events.following.Projection`: each committed event adds
its leaf to the tree's right edge (:class:`events.merkle.Frontier`: one SHA-256 for the
leaf and one for each subtree it completes, O(log n) at worst, O(1) on average), and the
complete subtrees it makes are queued for a background task that writes them in batches,
one transaction a batch, so following the log never waits for the database. The saved
size is the number of leaves (level 0 rows); a batch holds every node its leaves
complete, so the saved rows always hold every complete subtree of the saved size.

At start (:meth:`MerkleTree.catch_up`) it reads the saved size and its right edge (at
most one node a level), checks the last saved leaf against the log, and adds the events
after it; a saved tree that does not match the log (a restored database) is dropped and
rebuilt, with a warning. Writes insert or ignore: two processes on one database write the
same deterministic nodes, whoever is first.

Proofs (:meth:`MerkleTree.inclusion`, :meth:`MerkleTree.consistency`, :meth:`MerkleTree.root`)
are answered for any size the tree has reached, from the nodes still queued or else the
table: a handful of rows read by primary key (events/merkle.py says which).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from contextlib import aclosing

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from events import merkle
from events.envelope import RecordedEvent
from events.merkle import Node, ProofError
from events.position_waiters import PositionWaiters
from events.store import EventStore

logger = logging.getLogger(__name__)

merkle_nodes = Table(
    "merkle_nodes",
    MetaData(),
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column(
        "node_index",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("hash", LargeBinary(32), nullable=False),
)

LOWEST_SAVED = 4
"""The lowest level saved: a node below it covers fewer than 16 events, and is hashed
again from their stored hashes when a proof needs it (at most 31 hashes of 16 rows read
together), so the table grows by one row per 8 events rather than two per event."""
BATCH = 2000
"""Nodes written in one transaction at most."""
CATCH_UP_PAGE = 5000
"""Events read, and their nodes written, at a time while catching up."""
SAVE_AFTER = 1.0
"""Seconds queued nodes wait for a whole batch before they are saved anyway."""
RETRY_AFTER = 1.0
"""Seconds before writing again after the database refused a batch."""


class TreeStopped(RuntimeError):
    """The tree stopped following the log; its size will not grow."""


async def read_nodes(connection: AsyncConnection, wanted: Sequence[Node]) -> dict[Node, bytes]:
    """The saved hashes of ``wanted`` (those saved; by primary key)."""
    found: dict[Node, bytes] = {}
    table = merkle_nodes
    for start in range(0, len(wanted), 200):
        chunk = wanted[start : start + 200]
        condition = or_(
            *(and_(table.c.level == level, table.c.node_index == index) for level, index in chunk)
        )
        query = select(table.c.level, table.c.node_index, table.c.hash).where(condition)
        for level, index, value in (await connection.execute(query)).all():
            found[(level, index)] = bytes(value)
    return found


async def read_node_runs(
    connection: AsyncConnection, wanted: Iterable[Node], gap: int = 64
) -> dict[Node, bytes]:
    """The saved hashes of ``wanted``, read a run of neighbouring nodes at a time (one
    range query per level and cluster: the nodes of many proofs at once)."""
    by_level: dict[int, list[int]] = {}
    for level, index in set(wanted):
        by_level.setdefault(level, []).append(index)
    found: dict[Node, bytes] = {}
    table = merkle_nodes
    for level, indices in by_level.items():
        indices.sort()
        runs: list[list[int]] = [[indices[0], indices[0]]]
        for index in indices[1:]:
            if index - runs[-1][1] > gap:
                runs.append([index, index])
            else:
                runs[-1][1] = index
        for first, last in runs:
            query = select(table.c.node_index, table.c.hash).where(
                table.c.level == level, table.c.node_index.between(first, last)
            )
            for index, value in (await connection.execute(query)).all():
                found[(level, int(index))] = bytes(value)
    return found


async def saved_size(connection: AsyncConnection) -> int:
    """How many leaves the table's tree has (whole blocks of 2**LOWEST_SAVED)."""
    query = select(func.max(merkle_nodes.c.node_index)).where(merkle_nodes.c.level == LOWEST_SAVED)
    last = (await connection.execute(query)).scalar_one_or_none()
    return 0 if last is None else (int(last) + 1) << LOWEST_SAVED


def _saved(made: Iterable[tuple[Node, bytes]]) -> list[tuple[Node, bytes]]:
    return [(node, value) for node, value in made if node[0] >= LOWEST_SAVED]


def block_nodes(first: int, leaves: Sequence[bytes]) -> dict[Node, bytes]:
    """Every complete subtree below LOWEST_SAVED among ``leaves`` (leaf hashes of the
    positions ``first + 1`` onwards; ``first`` a multiple of 2**LOWEST_SAVED)."""
    nodes: dict[Node, bytes] = {}
    level_values = list(leaves)
    start = first
    for level in range(LOWEST_SAVED):
        for offset, value in enumerate(level_values):
            nodes[(level, (start >> level) + offset)] = value
        level_values = [
            merkle.node_hash(level_values[i], level_values[i + 1])
            for i in range(0, len(level_values) - 1, 2)
        ]
    for offset, value in enumerate(level_values):
        nodes[(LOWEST_SAVED, (start >> LOWEST_SAVED) + offset)] = value
    return nodes


async def write_nodes(connection: AsyncConnection, nodes: Iterable[tuple[Node, bytes]]) -> None:
    """Insert the nodes, leaving any already saved (they can only be equal)."""
    rows = [{"level": level, "node_index": index, "hash": value} for (level, index), value in nodes]
    if not rows:
        return
    insert = postgres_insert if connection.dialect.name == "postgresql" else sqlite_insert
    await connection.execute(insert(merkle_nodes).on_conflict_do_nothing(), rows)


class MerkleTree:
    """The RFC 9162 tree over ``store``'s log, saved in ``engine``'s ``merkle_nodes``."""

    name = "merkle tree"

    def __init__(self, store: EventStore, engine: AsyncEngine, *, batch: int = BATCH) -> None:
        self._store = store
        self._engine = engine
        self._batch = batch
        self._frontier = merkle.Frontier()
        self._queued: dict[Node, bytes] = {}
        """Nodes made but not yet saved (readable by proofs until they are)."""
        self._saving: list[tuple[Node, bytes]] = []
        self._pending = asyncio.Event()
        """Set when nodes are queued."""
        self._full = asyncio.Event()
        """Set when a whole batch is queued (or on closing)."""
        self._writer: asyncio.Task[None] | None = None
        self._waiters = PositionWaiters()
        self._failure: BaseException | None = None
        self._stopped = False
        self._closing = False
        self.saved = 0
        """The size the table is known to hold (every node of it written)."""

    @property
    def size(self) -> int:
        """The number of leaves: the log positions 1 to ``size`` are in the tree."""
        return self._frontier.size

    def current_root(self) -> bytes:
        """The root of the tree at :attr:`size` (no I/O)."""
        return self._frontier.root()

    # -- the projection -------------------------------------------------------------

    async def catch_up(self, head: int) -> None:
        async with self._engine.connect() as connection:
            saved = await saved_size(connection)
        # Another process on this database may have saved leaves after our head.
        size = min(saved, head)
        if size > 0 and not await self._matches_log(size):
            async with self._engine.begin() as connection:
                await connection.execute(delete(merkle_nodes))
            size = 0
        if size > 0:
            wanted = merkle.root_nodes(size)
            found = await self._resolve(wanted, size)
            self._frontier = merkle.Frontier(size, [found[node] for node in wanted])
        self.saved = size
        if size < head:
            logger.info("adding log positions %d to %d to the Merkle tree", size + 1, head)
            pages = self._store.stored_pages(after=size, until=head, page_size=CATCH_UP_PAGE)
            async with aclosing(pages):
                async for page in pages:
                    made: list[tuple[Node, bytes]] = []
                    for envelope in page:
                        made.extend(_saved(self._frontier.append(merkle.event_leaf(envelope.hash))))
                    async with self._engine.begin() as connection:
                        await write_nodes(connection, made)
                    self.saved = self._frontier.size
        self._waiters.reached(self.size)

    async def _matches_log(self, size: int) -> bool:
        """Whether the saved tree's last block is the log's (a restored or replaced
        database's tree is not)."""
        block = (size >> LOWEST_SAVED) - 1
        node = (LOWEST_SAVED, block)
        async with self._engine.connect() as connection:
            saved = (await read_nodes(connection, [node])).get(node)
        from_log = (await self._from_log([node], size)).get(node)
        if saved is None or saved != from_log:
            logger.warning(
                "the saved Merkle tree's last block (log positions %d to %d) is not the"
                " log's: rebuilding the tree from the log",
                (block << LOWEST_SAVED) + 1,
                size,
            )
            return False
        return True

    async def _from_log(self, wanted: Iterable[Node], size: int) -> dict[Node, bytes]:
        """Nodes at or below LOWEST_SAVED hashed again from the events' stored hashes
        (their blocks read a run at a time, none beyond ``size``)."""
        blocks = sorted({(index << level) >> LOWEST_SAVED for level, index in wanted})
        found: dict[Node, bytes] = {}
        if not blocks:
            return found
        runs: list[list[int]] = [[blocks[0], blocks[0]]]
        for block in blocks[1:]:
            if block == runs[-1][1] + 1:
                runs[-1][1] = block
            else:
                runs.append([block, block])
        for first, last in runs:
            start = first << LOWEST_SAVED
            end = min((last + 1) << LOWEST_SAVED, size)
            rows = await self._store.read_stored(after=start, until=end, limit=end - start)
            if len(rows) != end - start:
                raise RuntimeError(f"the log lacks events between positions {start} and {end}")
            leaves = [merkle.event_leaf(row.hash) for row in rows]
            for block in range(first, last + 1):
                offset = (block - first) << LOWEST_SAVED
                found.update(
                    block_nodes(
                        block << LOWEST_SAVED, leaves[offset : offset + (1 << LOWEST_SAVED)]
                    )
                )
        return found

    async def _resolve(self, wanted: Sequence[Node], size: int) -> dict[Node, bytes]:
        """The hashes of ``wanted`` (complete subtrees of the tree of ``size``): the low
        ones from the log, the others queued or saved."""
        low = [node for node in wanted if node[0] < LOWEST_SAVED]
        high = [node for node in wanted if node[0] >= LOWEST_SAVED]
        known = {node: self._queued[node] for node in high if node in self._queued}
        missing = [node for node in high if node not in known]
        if missing:
            read = read_nodes if len(missing) <= 64 else read_node_runs  # one query, or runs
            async with self._engine.connect() as connection:
                known.update(await read(connection, missing))
            # a node saved (and dropped from the queue) while we read: take it now
            known.update({node: self._queued[node] for node in missing if node in self._queued})
        if low:
            known.update(await self._from_log(low, size))
        absent = [node for node in wanted if node not in known]
        if absent:
            raise RuntimeError(f"the saved Merkle tree lacks the nodes {absent[:5]}")
        return known

    def apply(self, event: RecordedEvent) -> None:
        if event.position != self._frontier.size + 1:
            raise RuntimeError(
                f"the Merkle tree has {self._frontier.size} leaves and was given position"
                f" {event.position}"
            )
        made = _saved(self._frontier.append(merkle.event_leaf(event.hash)))
        if not made:
            self._waiters.reached(event.position)
            return
        self._queued.update(made)
        self._saving.extend(made)
        self._pending.set()
        if len(self._saving) >= self._batch:
            self._full.set()
        if self._writer is None and not self._closing:
            self._writer = asyncio.create_task(self._write(), name="merkle tree: saving nodes")
        self._waiters.reached(event.position)

    def stopped(self, failure: BaseException | None) -> None:
        self._stopped = True
        if failure is not None:
            self._failure = failure
        self._waiters.fail(lambda: TreeStopped("the Merkle tree stopped following the log"))

    async def close(self) -> None:
        """Write what is queued, then stop the writer (after the follower has closed).

        The writer is never cancelled in the middle of a write: a cancelled SQLite write
        would leave its connection holding the file's write lock."""
        self._stopped = True
        self._closing = True
        self._pending.set()
        self._full.set()
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer

    async def _write(self) -> None:
        # Nodes wait up to SAVE_AFTER seconds for a whole batch: a few commits a second
        # at most, so the tree does not take the log's write lock from its appends.
        while not self._closing:
            await self._pending.wait()
            if not self._full.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), SAVE_AFTER)
            self._pending.clear()
            self._full.clear()
            while self._saving:
                try:
                    await self._write_batch()
                except Exception:
                    if self._closing:
                        break
                    logger.exception("could not save Merkle tree nodes; trying again")
                    await asyncio.sleep(RETRY_AFTER)
        try:
            while self._saving:
                await self._write_batch()
        except Exception:
            logger.exception(
                "could not save the Merkle tree's last nodes; the next start adds them"
            )

    async def _write_batch(self) -> None:
        # Whole blocks only: a batch ends after the nodes its last block completes, so the
        # saved rows are always a whole tree (a block's LOWEST_SAVED node comes first).
        end = min(len(self._saving), self._batch)
        while end < len(self._saving) and self._saving[end][0][0] != LOWEST_SAVED:
            end += 1
        batch = self._saving[:end]
        async with self._engine.begin() as connection:
            await write_nodes(connection, batch)
        del self._saving[:end]
        for node, _ in batch:
            self._queued.pop(node, None)
        blocks = [
            (index + 1) << LOWEST_SAVED for (level, index), _ in batch if level == LOWEST_SAVED
        ]
        self.saved = max([self.saved, *blocks])

    # -- answers --------------------------------------------------------------------

    async def wait_for(self, size: int) -> None:
        """Return once the tree has ``size`` leaves (TreeStopped if it stops first)."""
        if self.size < size:
            if self._stopped:
                raise TreeStopped("the Merkle tree stopped following the log")
            await self._waiters.wait(size)

    def _check_size(self, size: int) -> None:
        if size > self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {size}")

    async def root(self, size: int) -> bytes:
        """The root of the tree of the first ``size`` positions."""
        self._check_size(size)
        if size < 0:
            raise ProofError(f"a tree's size is 0 or more, not {size}")
        if size == self.size:
            return self.current_root()
        known = await self._resolve(merkle.root_nodes(size), size)
        return merkle.root(size, known.__getitem__)

    async def leaf(self, position: int) -> bytes:
        """The leaf hash of the event at ``position``."""
        self._check_size(position)
        if position < 1:
            raise ProofError(f"log positions start at 1, not {position}")
        return (await self._resolve([(0, position - 1)], position))[(0, position - 1)]

    async def inclusion(self, position: int, size: int) -> list[bytes]:
        """The audit path of the event at ``position`` in the tree of ``size`` positions."""
        self._check_size(size)
        if not 1 <= position <= size:
            raise ProofError(f"position {position} is not in a tree of size {size}")
        index = position - 1
        known = await self._resolve(merkle.inclusion_nodes(index, size), size)
        return merkle.inclusion_proof(index, size, known.__getitem__)

    async def inclusions(self, positions: Sequence[int], size: int) -> dict[int, list[bytes]]:
        """The audit paths of many positions in the tree of ``size`` positions, their
        nodes read together (an export's page of events)."""
        self._check_size(size)
        for position in positions:
            if not 1 <= position <= size:
                raise ProofError(f"position {position} is not in a tree of size {size}")
        wanted = merkle.nodes_of(
            section for p in positions for section in merkle.inclusion_ranges(p - 1, size)
        )
        known = await self._resolve(wanted, size)
        return {p: merkle.inclusion_proof(p - 1, size, known.__getitem__) for p in positions}

    async def nodes(self, wanted: Sequence[Node], size: int) -> dict[Node, bytes]:
        """The hashes of complete subtrees (``(level, index)``) of the tree of ``size``
        positions, read together: what a check of many leaves at once needs between them
        (the audit report's, server/audit/report/integrity.py)."""
        self._check_size(size)
        for level, index in wanted:
            if level < 0 or index < 0 or (index + 1) << level > size:
                raise ProofError(f"node {(level, index)} is not in a tree of size {size}")
        return await self._resolve(wanted, size)

    async def consistency(self, old: int, new: int) -> list[bytes]:
        """That the tree of ``old`` positions is a prefix of the tree of ``new``."""
        self._check_size(new)
        known = await self._resolve(merkle.consistency_nodes(old, new), new)
        return merkle.consistency_proof(old, new, known.__getitem__)
