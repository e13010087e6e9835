"""The Merkle tree's cost: appends with the tree maintained against without, and proofs
at a million events.

    python -m bench.merkle [--appends N] [--rounds R] [--events E] [--postgres URL]

1. Appends per second, in the same run, of a log followed by a LogFollower without the
   tree (a projection that does nothing) and of one followed by the server's MerkleTree
   projection (which hashes each leaf, and saves its nodes in batches on the same SQLite
   database). Each append is a command's: 16 concurrent callers, one event each, each
   waiting for the follower to apply its position before the next (as CommandService
   does). The two logs take turns for R rounds; figures are medians.
2. A log of E events (default 1,000,000) appended in commits of 1,000, the tree built by
   a MerkleTree catching up from an empty table (what the first start after migration
   0009 does), a restart's resumption (the saved tree's right edge read back), then proof
   generation (from the table, as the HTTP routes answer) and verification times, medians
   over a thousand random proofs.

SQLite, durable (WAL, synchronous=FULL) as ``concord serve`` runs; with ``--postgres``
(a URL of a server where databases may be created, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``) the same on fresh PostgreSQL
databases ``concord_bench_merkle_*`` instead. Prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.workload import CALLERS, PAYLOAD, fresh_postgres_database, rate
from events import EventStore, NewEvent, RecordedEvent, StreamAppend, open_store
from events.following import LogFollower
from events.merkle import verify_consistency, verify_inclusion
from events.merkle_store import MerkleTree
from server.database import create_engine_for

PROOFS = 1000


class Nothing:
    """A projection that does nothing: the follower's own cost, without the tree."""

    name = "nothing"

    async def catch_up(self, head: int) -> None:
        return None

    def apply(self, event: RecordedEvent) -> None:
        return None

    def stopped(self, failure: BaseException | None) -> None:
        return None


class Subject:
    """A log on its own database with its one follower, open between rounds."""

    def __init__(self, url: str, name: str, with_tree: bool) -> None:
        self.name = name
        self.url = url
        self._with_tree = with_tree
        self._event = NewEvent("SectionRevised", PAYLOAD)
        self._round = 0

    async def open(self) -> None:
        self.store: EventStore = await open_store(self.url)
        self.engine = create_engine_for(self.url)
        self.tree = MerkleTree(self.store, self.engine) if self._with_tree else None
        projection: Any = self.tree if self.tree is not None else Nothing()
        self.follower = LogFollower(self.store, [projection])
        await self.follower.start()

    async def close(self) -> None:
        await self.follower.close()
        if self.tree is not None:
            await self.tree.close()
        await self.engine.dispose()
        await self.store.close()

    async def appends(self, per_caller: int) -> float:
        self._round += 1
        prefix = f"round-{self._round}"

        async def caller(k: int) -> None:
            for _ in range(per_caller):
                done = await self.store.append(StreamAppend(f"{prefix}-{k}", [self._event]))
                await self.follower.wait_for(done.last_position)

        started = time.perf_counter()
        await asyncio.gather(*(caller(k) for k in range(CALLERS)))
        return rate(per_caller * CALLERS, time.perf_counter() - started)


Databases = Callable[[str], Awaitable[str]]
"""Where the benchmark's log called ``name`` lives: the URL of a new database."""


async def compare(database: Databases, appends: int, rounds: int) -> None:
    without = Subject(await database("without"), "without", False)
    with_tree = Subject(await database("with"), "with", True)
    await without.open()
    await with_tree.open()
    figures: dict[str, list[float]] = {without.name: [], with_tree.name: []}
    try:
        per_caller = max(1, appends // CALLERS)
        for subject in (without, with_tree):  # warm both up
            await subject.appends(max(1, per_caller // 10))
        for _ in range(rounds):
            for subject in (without, with_tree):
                figures[subject.name].append(await subject.appends(per_caller))
    finally:
        await without.close()
        await with_tree.close()
    base, tree = statistics.median(figures["without"]), statistics.median(figures["with"])
    print(f"appends/s, {CALLERS} callers, each waiting for the follower ({rounds} rounds):")
    print(f"  without the tree      {base:10,.0f}")
    print(f"  with the Merkle tree  {tree:10,.0f}   ratio {tree / base:.2f}x")


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


def micro(seconds: list[float]) -> str:
    p99 = sorted(seconds)[98 * len(seconds) // 100]
    return f"{statistics.median(seconds) * 1e6:8.1f} µs (p99 {p99 * 1e6:.1f})"


async def at_scale(database: Databases, events: int) -> None:
    url = await database("large")
    store = await open_store(url)
    engine = create_engine_for(url)
    try:
        event = NewEvent("Noted", {"n": 1})
        started = time.perf_counter()
        for start in range(0, events, 1000):
            count = min(1000, events - start)
            await store.append(StreamAppend(f"large-{start // 100_000}", [event] * count))
        print(f"\n{events:,} events appended in {time.perf_counter() - started:.1f} s")

        tree = MerkleTree(store, engine)
        built = await timed(lambda: tree.catch_up(events))
        await tree.close()
        print(f"tree built from an empty table (first start after 0009): {built:.1f} s")
        tree = MerkleTree(store, engine)
        resumed = await timed(lambda: tree.catch_up(events))
        print(f"restart: the saved tree of {events:,} leaves resumed in {resumed * 1e3:.1f} ms")

        rng = random.Random(22)
        size = events
        root = await tree.root(size)
        made, checked, hashes = [], [], 0
        for _ in range(PROOFS):
            position = rng.randint(1, size)
            t0 = time.perf_counter()
            path = await tree.inclusion(position, size)
            leaf = await tree.leaf(position)
            t1 = time.perf_counter()
            assert verify_inclusion(position - 1, size, leaf, path, root)
            t2 = time.perf_counter()
            made.append(t1 - t0)
            checked.append(t2 - t1)
            hashes += len(path)
        print(f"inclusion proof at {size:,} ({hashes / PROOFS:.1f} hashes):")
        print(f"  generation (leaf and path, from the table)  {micro(made)}")
        print(f"  verification                                {micro(checked)}")
        made, checked, hashes = [], [], 0
        for _ in range(PROOFS):
            old = rng.randint(1, size - 1)
            t0 = time.perf_counter()
            path = await tree.consistency(old, size)
            old_root = await tree.root(old)
            t1 = time.perf_counter()
            assert verify_consistency(old, size, old_root, root, path)
            t2 = time.perf_counter()
            made.append(t1 - t0)
            checked.append(t2 - t1)
            hashes += len(path)
        print(f"consistency proof to {size:,} from a random size ({hashes / PROOFS:.1f} hashes):")
        print(f"  generation (path and the old root)          {micro(made)}")
        print(f"  verification                                {micro(checked)}")
        await tree.close()
    finally:
        await engine.dispose()
        await store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--appends", type=int, default=4000, help="appends per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=1_000_000, help="the large log's size")
    parser.add_argument("--postgres", metavar="URL", help="measure on PostgreSQL instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:

        async def database(name: str) -> str:
            if args.postgres is None:
                return f"sqlite:///{Path(folder) / f'{name}.sqlite'}"
            url = await fresh_postgres_database(args.postgres, f"concord_bench_merkle_{name}")
            if url is None:
                raise SystemExit(1)
            return url

        print("PostgreSQL" if args.postgres else "SQLite (WAL, synchronous=FULL)")
        asyncio.run(compare(database, args.appends, args.rounds))
        asyncio.run(at_scale(database, args.events))


if __name__ == "__main__":
    main()
