"""Replaying a large trial to any position: how long the state takes to come back.

    python -m bench.replay [--events 1000000] [--db PATH] [--samples 200]
                           [--snapshot-every 500] [--budget MB]

Writes (or reuses, with --db naming an existing file) a durable SQLite log holding one
trial of ``--events`` events: the protocol drafted from the demo's M11 text, then a mix
of section revisions (30%), comments in threads of up to 200 (50%) and motions with their
votes (20%), with one event of another trial in every ten so that the trial's reads skip
foreign rows. It then builds :class:`server.audit.history.TrialHistory` (timed apart,
while a ticker on the same event loop asks for a turn every millisecond: its longest wait
is what another request would wait), saving its checkpoints in the database as the server
does, replays the trial to ``--samples`` random positions, and prints the time of the
state alone and of the state plus the API's JSON view (the replay's streams, as the route
asks for them): best, median, p95 and worst; and the process's memory after the build,
after the replays, and at its peak (which includes writing the log, when it was written).
Then it replays as a restarted server would, with a new history reading the saved
checkpoints: the first answer (at the head), and the random positions again. The
decoded states kept are bounded by ``--budget`` MB of their JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from domain.catalog import to_data
from domain.charter import DEFAULT_CHARTER
from domain.engagement import CommentPosted, CommentSubjectKind
from domain.event import Event
from domain.motion import MotionTabled, VoteCast
from domain.protocol_events import ProtocolDrafted, SectionRevised, SectionText
from domain.streams import comments_stream, motion_stream, protocol_stream, trial_stream
from domain.workspace_events import TrialCreated
from events import EventStore, NewEvent, StreamAppend, open_store
from server.audit.checkpoint_store import StoredCheckpoints
from server.audit.history import SNAPSHOT_EVERY, TrialHistory
from server.audit.replay_view import replay_streams, replay_view
from server.audit.resident_states import RESIDENT_BYTES, ResidentStates
from server.database import create_engine_for
from server.demo import PROTOCOL_TEXTS

TRIAL = "big-301"
BATCH = 2_000
VOTERS = tuple(f"u-{i}" for i in range(40))
NOW = "2026-11-21T09:30:00.000000Z"


@dataclass
class _Writer:
    """Makes the trial's events in a realistic mix, keeping each stream's own numbering."""

    rng: random.Random
    revisions: dict[str, int]
    comments: int = 0
    motions: int = 0
    votes_left: int = 0

    def next(self) -> tuple[str, Event]:
        draw = self.rng.random()
        if draw < 0.3:
            number = self.rng.choice(list(self.revisions))
            revision = self.revisions[number] + 1
            self.revisions[number] = revision
            text = f"{PROTOCOL_TEXTS[number]} (revision {revision})"
            return protocol_stream(TRIAL), SectionRevised(
                trial_id=TRIAL, number=number, revision=revision, based_on=revision - 1,
                heading=f"Section {number}", text=text, revised_by="u-1",
                merged_with=None, amendment_id=None,
            )  # fmt: skip
        if draw < 0.8:
            self.comments += 1
            thread = str(self.comments // 200)
            return comments_stream(TRIAL, CommentSubjectKind.SECTION, thread), CommentPosted(
                trial_id=TRIAL, subject_kind=CommentSubjectKind.SECTION, subject_id=thread,
                comment_id=f"C-{self.comments}", text="Please clarify the visit window.",
                author_id=self.rng.choice(VOTERS), needs_disposition=False, in_reply_to=None,
            )  # fmt: skip
        if self.votes_left == 0:
            self.motions += 1
            self.votes_left = len(VOTERS)
            return motion_stream(TRIAL, f"M-{self.motions}"), MotionTabled(
                motion_id=f"M-{self.motions}", trial_id=TRIAL, question="Adopt the change?",
                options=("yes", "no"), eligible_voters=VOTERS,
                quorum_rule=DEFAULT_CHARTER.quorum_rules[0], deadline="2030-01-01T00:00:00Z",
                tabled_at=NOW, tabled_by="u-1", subject=None,
            )  # fmt: skip
        self.votes_left -= 1
        voter = VOTERS[self.votes_left]
        return motion_stream(TRIAL, f"M-{self.motions}"), VoteCast(
            motion_id=f"M-{self.motions}", voter_id=voter, option="yes", cast_at=NOW
        )


def _new(event: Event) -> NewEvent:
    return NewEvent(event.event_type, to_data(event), meta={"actor": "u-1"})


async def write_trial(store: EventStore, count: int) -> None:
    sections = tuple(
        SectionText(number=n, heading=f"Section {n}", text=t) for n, t in PROTOCOL_TEXTS.items()
    )
    await store.append(
        StreamAppend(trial_stream(TRIAL), [_new(TrialCreated(
            trial_id=TRIAL, title="A big trial", charter=DEFAULT_CHARTER, created_by="u-1"))]),
        StreamAppend(protocol_stream(TRIAL), [_new(ProtocolDrafted(
            trial_id=TRIAL, title="A big trial", sections=sections, drafted_by="u-1"))]),
    )  # fmt: skip
    writer = _Writer(random.Random(301), dict.fromkeys(PROTOCOL_TEXTS, 1))
    written, started = 2, time.perf_counter()
    noise = NewEvent("NoiseRecorded", {"note": "another trial's event"})
    while written < count:
        batch: dict[str, list[NewEvent]] = {}
        for i in range(min(BATCH, count - written)):
            if i % 10 == 9:
                batch.setdefault(trial_stream("other-trial"), []).append(noise)
                continue
            stream, event = writer.next()
            batch.setdefault(stream, []).append(_new(event))
        await store.append(*(StreamAppend(s, events) for s, events in batch.items()))
        written += sum(len(events) for events in batch.values())
        if written % 100_000 < BATCH:
            print(f"  writing: {written:,} events, {time.perf_counter() - started:.0f} s")


def _rss_mb() -> float:
    """This process's resident memory now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


async def _ticker(stop: asyncio.Event, waits: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(0.001)
        waits.append(time.perf_counter() - asked - 0.001)


def _summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return (
        f"{name:<34} best {ms[0]:7.1f}  median {statistics.median(ms):7.1f}"
        f"  p95 {p95:7.1f}  worst {ms[-1]:7.1f} ms"
    )


async def _replays(
    history: TrialHistory, head: int, samples: int
) -> tuple[list[float], list[float]]:
    rng = random.Random(7)
    state_times, view_times = [], []
    for _ in range(samples):
        at = rng.randint(1, head)
        started = time.perf_counter()
        replayed = await history.at(TRIAL, at, streams=replay_streams())
        state_times.append(time.perf_counter() - started)
        json.dumps(replay_view(replayed))
        view_times.append(time.perf_counter() - started)
    return state_times, view_times


async def main(events: int, db: Path, samples: int, every: int, budget: int) -> None:
    url = f"sqlite:///{db}"
    store = await open_store(url)
    engine = create_engine_for(url)
    try:
        head = await store.head_position()
        if head == 0:
            await write_trial(store, events)
            head = await store.head_position()
        saved = StoredCheckpoints(engine)
        history = TrialHistory(
            store, checkpoints=saved, resident=ResidentStates(budget), snapshot_every=every
        )
        stop, waits = asyncio.Event(), list[float]()
        ticker = asyncio.create_task(_ticker(stop, waits))
        started = time.perf_counter()
        positions = await history.positions(TRIAL)
        built = time.perf_counter() - started
        stop.set()
        await ticker
        rss_built = _rss_mb()
        state_times, view_times = await _replays(history, head, samples)
        rss_replayed = _rss_mb()
        history.forget_all()  # the restart: a new history, the saved checkpoints
        restarted = TrialHistory(
            store, checkpoints=saved, resident=ResidentStates(budget), snapshot_every=every
        )
        started = time.perf_counter()
        await restarted.at(TRIAL, head, streams=replay_streams())
        first = time.perf_counter() - started
        again_state, again_view = await _replays(restarted, head, samples)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"log: {head:,} events, {len(positions):,} of them in trial {TRIAL} ({db})")
        print(
            f"projection built on first use: {built:.1f} s (checkpoints saved);"
            f" a checkpoint every {every:,} events"
        )
        print(f"meanwhile another task on the event loop waited at most {max(waits) * 1000:.1f} ms")
        print(
            f"memory of this process: {rss_built:,.0f} MB after the build,"
            f" {rss_replayed:,.0f} MB after the replays, {_rss_mb():,.0f} MB after the"
            f" restarted ones, {peak_mb:,.0f} MB at its peak (budget {budget / 2**20:.0f} MB)"
        )
        print(_summary(f"state at a random position (n={samples})", state_times))
        print(_summary("state + JSON view (the API's body)", view_times))
        print(f"restarted: first answer (at the head) {first * 1000:.0f} ms")
        print(_summary("restarted: state at a random position", again_state))
        print(_summary("restarted: state + JSON view", again_view))
        worst = max(state_times + again_state) * 1000
        print(f"target: the state at any position in <= 200 ms; worst here {worst:.0f} ms")
    finally:
        await engine.dispose()
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="SQLite file to write, or to reuse if it exists")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--snapshot-every", type=int, default=SNAPSHOT_EVERY)
    parser.add_argument("--budget", type=float, default=RESIDENT_BYTES / 2**20, help="MB")
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="concord-replay-")) / "replay.sqlite"
    budget = int(args.budget * 2**20)
    asyncio.run(main(args.events, db, args.samples, args.snapshot_every, budget))
