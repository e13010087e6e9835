"""Authorization checks per second at 10 and at 10,000 trials, side by side.

    python -m bench.authorization [--checks N] [--trials 10,10000]

For each size it writes a log (a temporary SQLite file, durable as in production) with
every trial's role events: 50 members a trial with a realistic spread of roles, a few
second roles and revokes, and members shared between trials. Then it starts an
Authorizer on it (the catch-up time is the time to load the policy), then one from a
snapshot of the policy at the head (``events/snapshots.py``: what a restart does once a
snapshot exists; taking one is timed too: ``Policy.snapshot()``, which runs on the event
loop, and encoding it, which runs in a thread), and
times ``Authorizer.allows`` over a fixed list of requests, drawn the same way at both sizes:

- requests come from active sessions, a (user, trial) pair each: ``SESSIONS`` of them,
  picked with Zipf-like weights (a few people are very busy), 10% of them from a user
  asking about a trial they have no role in;
- each request's action follows a realistic mix (mostly reading, then commenting and
  editing, rarely merging or administering), so both allowed and denied checks occur.

The number of active sessions is a property of the traffic, not of how many trials the
log holds, so it is the same at both sizes. The figure that must not depend on the number
of trials is the uncached one too: the same requests with the cache off, every check a
real Casbin ``enforce()``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from domain.catalog import to_data
from domain.roles import Role
from domain.streams import trial_stream
from domain.workspace_events import RoleGranted, RoleRevoked
from events import EventStore, NewEvent, StreamAppend, open_store
from events.snapshots import ProjectionSnapshots
from rbac import Action, Authorizer, who_can
from rbac.policy import ROLE_EVENT_TYPES, Policy
from server.database import create_engine_for

SESSIONS = 440
OUTSIDERS = 0.1
TRIALS_PER_APPEND = 20

# 50 members: who holds which role in a typical trial.
SPREAD = {
    Role.TRIAL_ADMIN: 2,
    Role.SPONSOR_LEAD: 2,
    Role.SPONSOR_MEMBER: 8,
    Role.INVESTIGATOR: 6,
    Role.SITE_STAFF: 22,
    Role.PATIENT_ADVOCATE: 3,
    Role.ETHICS_REVIEWER: 5,
    Role.AUDITOR: 2,
}
MEMBERS = sum(SPREAD.values())
SECOND_ROLES = 5  # members who also hold a second role
REVOKES = 3  # of which this many later lose it again
SHARED = 10  # members a trial shares with other trials (CRO staff, reviewers, auditors)

# How often each action is attempted (per 100 requests).
MIX = {
    Action.READ: 50, Action.COMMENT: 10, Action.EDIT_PROTOCOL: 10, Action.REVIEW_AMENDMENT: 6,
    Action.VOTE: 4, Action.AUDIT: 4, Action.AUTHOR_AMENDMENT: 3, Action.SIGN_AMENDMENT: 2,
    Action.RAISE_DISPUTE: 2, Action.DISPOSITION_FEEDBACK: 2, Action.ADMINISTER: 2,
    Action.TABLE_MOTION: 1, Action.HANDLE_DISPUTE: 1, Action.REJECT_AMENDMENT: 1,
    Action.MERGE_AMENDMENT: 1, Action.PUBLISH_PROTOCOL: 1,
}  # fmt: skip

Request = tuple[str, str, Action]


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


# --- the log ---------------------------------------------------------------------------------


@dataclass
class Trials:
    members: dict[str, list[str]]
    """Trial id -> its members' user ids."""
    events: int


def _new(event: RoleGranted | RoleRevoked) -> NewEvent:
    return NewEvent(event.event_type, to_data(event), event.schema_version)


def _trial_events(trial: str, members: list[str], rnd: random.Random) -> list[NewEvent]:
    roles = [role for role, count in SPREAD.items() for _ in range(count)]
    rnd.shuffle(roles)
    admin = members[roles.index(Role.TRIAL_ADMIN)]

    def grant(user: str, role: Role, reason: str) -> NewEvent:
        return _new(RoleGranted(trial_id=trial, user_id=user, role=role, reason=reason,
                                granted_by=admin))  # fmt: skip

    def revoke(user: str, role: Role, reason: str) -> NewEvent:
        return _new(RoleRevoked(trial_id=trial, user_id=user, role=role, reason=reason,
                                revoked_by=admin))  # fmt: skip

    events = [
        grant(user, role, "joined the trial") for user, role in zip(members, roles, strict=True)
    ]
    extra = rnd.sample(range(len(members)), SECOND_ROLES)
    second = {k: Role.AUDITOR if roles[k] is not Role.AUDITOR else Role.SITE_STAFF for k in extra}
    events += [grant(members[k], role, "covers a second duty") for k, role in second.items()]
    events += [revoke(members[k], second[k], "duty ended") for k in extra[:REVOKES]]
    return events


async def build_log(store: EventStore, trials: int, members: int, seed: int) -> Trials:
    rnd = random.Random(seed)
    pool = [f"shared-{n}" for n in range(max(SHARED, trials * SHARED // 3))]
    roster: dict[str, list[str]] = {}
    count = 0
    batch: list[StreamAppend] = []
    for n in range(trials):
        trial = f"trial-{n:05d}"
        people = rnd.sample(pool, SHARED) + [f"user-{n}-{k}" for k in range(members - SHARED)]
        roster[trial] = people
        events = _trial_events(trial, people, rnd)
        count += len(events)
        batch.append(StreamAppend(trial_stream(trial), events))
        if len(batch) == TRIALS_PER_APPEND or n == trials - 1:
            await store.append(*batch)
            batch = []
    return Trials(roster, count)


# --- the requests ------------------------------------------------------------------------------


def requests(roster: dict[str, list[str]], checks: int, seed: int) -> list[Request]:
    rnd = random.Random(seed)
    trials = list(roster)
    memberships = [(user, trial) for trial, people in roster.items() for user in people]
    sessions: list[tuple[str, str]] = []
    for user, trial in rnd.sample(memberships, SESSIONS):
        if rnd.random() < OUTSIDERS:
            elsewhere = rnd.choice(trials)
            if user not in roster[elsewhere]:
                trial = elsewhere
        sessions.append((user, trial))
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(sessions))]
    picked = rnd.choices(sessions, weights, k=checks)
    actions = rnd.choices(list(MIX), list(MIX.values()), k=checks)
    return [(user, trial, action) for (user, trial), action in zip(picked, actions, strict=True)]


# --- the measurements ---------------------------------------------------------------------------


@dataclass
class Size:
    trials: int
    store: EventStore
    log: Trials
    cached: Authorizer
    uncached: Authorizer
    figures: dict[str, list[float]]


def timed_checks(authorizer: Authorizer, batch: list[Request]) -> tuple[float, int]:
    allows = authorizer.allows
    allowed = 0
    start = time.perf_counter()
    for user, trial, action in batch:
        if allows(user, trial, action):
            allowed += 1
    return time.perf_counter() - start, allowed


async def snapshot_start(store: EventStore, url: str, figures: dict[str, list[float]]) -> None:
    """Time encoding the policy's snapshot, and a start from it."""
    policy = Policy()
    async for page in store.pages(types=ROLE_EVENT_TYPES, page_size=5_000):
        for event in page:
            policy.apply(event)
    start = time.perf_counter()
    copied = policy.snapshot()
    figures["copy"] = [(time.perf_counter() - start) * 1000]
    start = time.perf_counter()
    encoded = copied.encode()
    figures["encode"] = [(time.perf_counter() - start) * 1000]
    figures["snapshot size"] = [len(encoded) / 1e6]
    engine = create_engine_for(url)
    try:
        # every=1: the first start saves its snapshot at the head; the next starts from it
        snapshots = ProjectionSnapshots(engine, every=1)
        await (await Authorizer.start(store, snapshots=snapshots)).close()
        await snapshots.close()
        start = time.perf_counter()
        restarted = await Authorizer.start(store, snapshots=snapshots)
        figures["from snapshot"] = [time.perf_counter() - start]
        await restarted.close()
        await snapshots.close()
    finally:
        await engine.dispose()


async def prepare(folder: Path, trials: int) -> Size:
    url = f"sqlite:///{folder / f'rbac-{trials}.sqlite'}"
    store = await open_store(url)
    start = time.perf_counter()
    log = await build_log(store, trials, MEMBERS, seed=trials)
    built = time.perf_counter() - start
    catch_up = []
    start = time.perf_counter()
    cached = await Authorizer.start(store)
    catch_up.append(time.perf_counter() - start)
    # The same policy with the cache off: every check is a Casbin enforce().
    start = time.perf_counter()
    uncached = await Authorizer.start(store, cache_size=0)
    catch_up.append(time.perf_counter() - start)
    figures: dict[str, list[float]] = {
        "build": [built], "catch-up": catch_up, "events": [log.events], "grants": [cached.grants]
    }  # fmt: skip
    await snapshot_start(store, url, figures)
    return Size(trials, store, log, cached, uncached, figures)


def measure_round(size: Size, checks: int, seed: int) -> None:
    """One round at one size: a fresh set of sessions, starting from an empty cache."""
    batch = requests(size.log.members, checks, seed=seed)
    size.cached.clear_cache()
    before = size.cached.enforcements
    seconds, allowed = timed_checks(size.cached, batch)
    size.figures.setdefault("checks", []).append(_rate(checks, seconds))
    size.figures.setdefault("hit rate", []).append(1 - (size.cached.enforcements - before) / checks)
    size.figures.setdefault("allowed", []).append(allowed / checks)
    cold = batch[: max(checks // 10, 1)]
    seconds, _ = timed_checks(size.uncached, cold)
    size.figures.setdefault("uncached", []).append(_rate(len(cold), seconds))


async def replay_time(size: Size) -> None:
    head = await size.store.head_position()
    sample = list(size.log.members)[:: max(size.trials // 5, 1)][:5]
    start = time.perf_counter()
    for trial in sample:
        await who_can(size.store, trial, Action.SIGN_AMENDMENT, at=head)
    size.figures["replay"] = [(time.perf_counter() - start) / len(sample)]


async def run(folder: Path, sizes: list[int], checks: int, rounds: int) -> list[Size]:
    prepared = [await prepare(folder, trials) for trials in sizes]
    try:
        # Rounds alternate between the sizes, so a busy moment of the machine hurts both.
        for seed in range(rounds):
            for size in prepared:
                measure_round(size, checks, seed)
        for size in prepared:
            await replay_time(size)
    finally:
        for size in prepared:
            await size.cached.close()
            await size.uncached.close()
            await size.store.close()
    return prepared


# --- report ---------------------------------------------------------------------------------------


def report(sizes: list[Size], rounds: int) -> None:
    def row(name: str, unit: str, key: str, fmt: str, pick: str = "first") -> None:
        def value(size: Size) -> float:
            values = size.figures[key]
            if pick == "best":
                return max(values)
            if pick == "median":
                return statistics.median(values)
            if pick == "least":
                return min(values)
            if pick == "mean":
                return statistics.fmean(values)
            return values[0]

        picked = [value(size) for size in sizes]
        cells = "".join(f"{format(v, fmt):>16}" for v in picked)
        tail = ""
        if pick in ("best", "median") and len(sizes) == 2 and picked[1]:
            tail = f"{picked[0] / picked[1]:>10.2f}x"
        print(f"{name:<38}{unit:<10}{cells}{tail}")

    header = "".join(f"{f'{size.trials:,} trials':>16}" for size in sizes)
    ratio = f"{'first/last':>11}" if len(sizes) == 2 else ""
    print(f"{f'Authorization, {MEMBERS} members a trial':<48}{header}{ratio}")
    row(f"Authorizer.allows, best of {rounds}", "checks/s", "checks", ",.0f", "best")
    row(f"Authorizer.allows, median of {rounds}", "checks/s", "checks", ",.0f", "median")
    row("  cache hit rate", "", "hit rate", ".1%", "mean")
    row("  allowed", "", "allowed", ".1%", "mean")
    row(f"Casbin enforce() alone, best of {rounds}", "checks/s", "uncached", ",.0f", "best")
    row("Casbin enforce() alone, median", "checks/s", "uncached", ",.0f", "median")
    row("catch-up (Authorizer.start), best", "s", "catch-up", ",.2f", "least")
    row("  from a snapshot at the head", "s", "from snapshot", ",.2f")
    row("  taking the snapshot (on the loop)", "ms", "copy", ",.1f")
    row("  encoding the copy (in a thread)", "ms", "encode", ",.1f")
    row("  the snapshot's size", "MB", "snapshot size", ",.1f")
    row("  role events in the log", "events", "events", ",.0f")
    row("  grants in force (g lines)", "lines", "grants", ",.0f")
    row("who_can replay of one trial", "s", "replay", ",.3f")
    row("writing the log (not timed above)", "s", "build", ",.1f")
    if len(sizes) == 2:
        small, big = (max(size.figures["checks"]) for size in sizes)
        fast = min(small, big) >= 20_000
        close = abs(small - big) / max(small, big) <= 0.2
        print()
        print(
            f"targets: >= 20,000 checks/s at both sizes ({'met' if fast else 'MISSED'}); "
            f"within 20% of each other ({'met' if close else 'MISSED'})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=100_000, help="checks a round and size")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, alternating sizes")
    parser.add_argument("--trials", default="10,10000", help="comma-separated trial counts")
    args = parser.parse_args()
    sizes = [int(size) for size in args.trials.split(",")]
    with tempfile.TemporaryDirectory(prefix="concord-bench-rbac-") as tmp:
        prepared = asyncio.run(run(Path(tmp), sizes, args.checks, args.rounds))
    report(prepared, args.rounds)


if __name__ == "__main__":
    main()
