"""The log's Merkle tree kept by the log follower and saved beside the log, on SQLite and
PostgreSQL: its roots and proofs are the RFC's (tests/rfc9162.py) for the log's events, a
restart resumes from the saved size and ends with exactly the tree rebuilt from scratch,
and a saved tree that is not the log's is rebuilt."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from events import EventStore, NewEvent, StreamAppend
from events.following import LogFollower
from events.merkle import MemoryTree, ProofError, event_leaf
from events.merkle_store import LOWEST_SAVED, MerkleTree, merkle_nodes, saved_size
from server.database import create_engine_for
from tests import rfc9162


@pytest.fixture
async def engine(store: EventStore, url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


async def append(store: EventStore, count: int, stream: str = "notes/1") -> int:
    events = [NewEvent("Noted", {"n": n}) for n in range(count)]
    last = 0
    for start in range(0, count, 50):  # several commits, as requests make them
        last = (await store.append(StreamAppend(stream, events[start : start + 50]))).last_position
    return last


async def entries(store: EventStore) -> list[bytes]:
    return [bytes.fromhex(envelope.hash) for envelope in await store.read_stored(limit=100_000)]


def saved_part(tree: MemoryTree) -> dict[tuple[int, int], bytes]:
    """What the table keeps of a tree: the nodes of LOWEST_SAVED and above."""
    return {node: value for node, value in tree.nodes.items() if node[0] >= LOWEST_SAVED}


async def saved_rows(engine: AsyncEngine) -> dict[tuple[int, int], bytes]:
    table = merkle_nodes
    async with engine.connect() as connection:
        rows = (await connection.execute(select(table))).all()
    return {(level, index): bytes(value) for level, index, value in rows}


class Following:
    """A tree and the follower that keeps it, opened and closed as a server does."""

    def __init__(self, store: EventStore, engine: AsyncEngine, batch: int = 64) -> None:
        self.tree = MerkleTree(store, engine, batch=batch)
        self.follower = LogFollower(store, [self.tree])

    async def __aenter__(self) -> MerkleTree:
        await self.follower.start()
        return self.tree

    async def __aexit__(self, *_: object) -> None:
        await self.follower.close()
        await self.tree.close()


async def test_the_tree_follows_the_log_and_proves_what_the_rfc_says(
    store: EventStore, engine: AsyncEngine
) -> None:
    await append(store, 7)
    async with Following(store, engine) as tree:
        assert tree.size == 7
        head = await append(store, 130)
        await tree.wait_for(head)
        leaves = await entries(store)
        for size in (0, 1, 7, 8, 64, 100, head):
            assert await tree.root(size) == rfc9162.mth(leaves[:size])
        for position in (1, 2, 64, 65, head):
            proof = await tree.inclusion(position, head)
            root = rfc9162.mth(leaves)
            assert rfc9162.verify_inclusion(position - 1, head, leaves[position - 1], proof, root)
            assert await tree.leaf(position) == event_leaf(leaves[position - 1].hex())
        for old in (1, 7, 64, 99):
            proof = await tree.consistency(old, head)
            first, second = rfc9162.mth(leaves[:old]), rfc9162.mth(leaves)
            assert rfc9162.verify_consistency(old, head, first, second, proof)
        with pytest.raises(ProofError, match=f"the tree has {head} leaves, not {head + 1}"):
            await tree.inclusion(1, head + 1)
        with pytest.raises(ProofError, match="position 0 is not in a tree of size 5"):
            await tree.inclusion(0, 5)
        with pytest.raises(ProofError):
            await tree.consistency(10, 9)


async def test_every_size_of_the_saved_tree_proves_what_the_rfc_says(
    store: EventStore, engine: AsyncEngine
) -> None:
    """Blocks below the saved level are hashed again from the log: every size, whole
    blocks or not, and every position of a few sizes."""
    async with Following(store, engine) as tree:
        head = await append(store, 70)
        await tree.wait_for(head)
        leaves = await entries(store)
        for size in range(1, head + 1):
            root = rfc9162.mth(leaves[:size])
            assert await tree.root(size) == root
            positions = range(1, size + 1) if size in (16, 17, 33, 70) else (1, size)
            for position in positions:
                path = await tree.inclusion(position, size)
                entry = leaves[position - 1]
                assert rfc9162.verify_inclusion(position - 1, size, entry, path, root)
            paths = await tree.inclusions(list(positions), size)
            assert paths == {p: await tree.inclusion(p, size) for p in positions}
            for old in {1, size // 2, size - 1} - {0, size}:
                proof = await tree.consistency(old, size)
                first = rfc9162.mth(leaves[:old])
                assert rfc9162.verify_consistency(old, size, first, root, proof)


async def test_a_restart_resumes_from_the_saved_size_and_equals_the_tree_rebuilt_from_scratch(
    store: EventStore, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    async with Following(store, engine) as tree:
        head = await append(store, 333)
        await tree.wait_for(head)
    async with engine.connect() as connection:  # every whole block was saved on closing
        assert await saved_size(connection) == head - head % 2**LOWEST_SAVED

    await append(store, 45)
    with caplog.at_level(logging.INFO, logger="events.merkle_store"):
        async with Following(store, engine) as tree:
            assert tree.size == head + 45
            resumed = head - head % 2**LOWEST_SAVED
            assert f"adding log positions {resumed + 1} to {head + 45} to the Merkle tree" in (
                caplog.text
            )
            assert "rebuilding" not in caplog.text
            head = await append(store, 101)
            await tree.wait_for(head)
            root = await tree.root(head)
    rebuilt = MemoryTree(event_leaf(entry.hex()) for entry in await entries(store))
    assert await saved_rows(engine) == saved_part(rebuilt)
    assert root == rebuilt.root() == rfc9162.mth(await entries(store))


async def test_a_saved_tree_that_is_not_the_logs_is_rebuilt_with_a_warning(
    store: EventStore, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    async with Following(store, engine) as tree:
        await tree.wait_for(await append(store, 40))
    async with engine.begin() as connection:  # the last saved block: positions 17 to 32
        await connection.execute(
            update(merkle_nodes)
            .where(merkle_nodes.c.level == LOWEST_SAVED, merkle_nodes.c.node_index == 1)
            .values(hash=b"\x00" * 32)
        )
    with caplog.at_level(logging.WARNING, logger="events.merkle_store"):
        async with Following(store, engine) as tree:
            assert await tree.root(40) == rfc9162.mth(await entries(store))
    assert "last block (log positions 17 to 32) is not the log's: rebuilding" in caplog.text
    rebuilt = MemoryTree(event_leaf(entry.hex()) for entry in await entries(store))
    assert await saved_rows(engine) == saved_part(rebuilt)


async def test_two_trees_on_one_database_save_the_same_nodes(
    store: EventStore, engine: AsyncEngine
) -> None:
    """Two server processes on one database each keep a tree; their writes agree."""
    async with Following(store, engine) as first, Following(store, engine, batch=7) as second:
        head = await append(store, 90)
        await first.wait_for(head)
        await second.wait_for(head)
        assert await first.root(head) == await second.root(head)
    rebuilt = MemoryTree(event_leaf(entry.hex()) for entry in await entries(store))
    assert await saved_rows(engine) == saved_part(rebuilt)
