"""Folding one long stream: the domain's evolve, event after event, with no I/O.

    python -m bench.folds [--sizes 10000 40000 100000]

Folds a comment thread of each size (the comments one client can post at ~400/s), a
protocol of that many section revisions (spread over the demo's sections, as
``bench.replay`` writes them) and an amendment with that many review remarks, and prints
the time per fold, per event, and the ratio of the largest size to the smallest: a
linear fold keeps the time per event flat (ratio of times = ratio of sizes). The
garbage collector is tuned as ``concord serve`` tunes it (``server/collector.py``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from typing import Any

from domain import amendment_state, engagement, protocol_state
from domain.amendment_events import AmendmentOpened, ReviewCommented
from domain.engagement import CommentPosted, CommentSubjectKind
from domain.protocol_events import ProtocolDrafted, SectionRevised, SectionText
from server.collector import tune_for_serving
from server.demo import AGE_AMENDMENT, PROTOCOL_TEXTS

TRIAL = "big-301"


def comments(count: int) -> Iterator[Any]:
    for n in range(count):
        yield CommentPosted(
            trial_id=TRIAL, subject_kind=CommentSubjectKind.SECTION, subject_id="5.2",
            comment_id=f"C-{n}", text="Please clarify the visit window.",
            author_id=f"u-{n % 40}", needs_disposition=n % 7 == 0, in_reply_to=None,
        )  # fmt: skip


def revisions(count: int) -> Iterator[Any]:
    numbers = list(PROTOCOL_TEXTS)
    sections = tuple(
        SectionText(number=n, heading=f"Section {n}", text=t) for n, t in PROTOCOL_TEXTS.items()
    )
    yield ProtocolDrafted(trial_id=TRIAL, title="T", sections=sections, drafted_by="u-1")
    latest = dict.fromkeys(numbers, 1)
    for n in range(count):
        number = numbers[n % len(numbers)]
        latest[number] += 1
        yield SectionRevised(
            trial_id=TRIAL, number=number, revision=latest[number], based_on=latest[number] - 1,
            heading=f"Section {number}", text=f"{PROTOCOL_TEXTS[number]} ({n})", revised_by="u-1",
            merged_with=None, amendment_id=None,
        )  # fmt: skip


def remarks(count: int) -> Iterator[Any]:
    yield AmendmentOpened(
        amendment_id="A-1", trial_id=TRIAL, base_version=1, details=AGE_AMENDMENT, opened_by="u-1"
    )
    for n in range(count):
        yield ReviewCommented(amendment_id="A-1", text=f"Remark {n}", commented_by="u-2")


STREAMS: dict[str, tuple[Callable[[int], Iterator[Any]], Callable[[Any, Any], Any], Any]] = {
    "comment thread": (comments, engagement.evolve, engagement.NEW_THREAD),
    "protocol revisions": (revisions, protocol_state.evolve, protocol_state.NEW_PROTOCOL),
    "amendment review remarks": (remarks, amendment_state.evolve, amendment_state.NEW_AMENDMENT),
}


def fold_seconds(count: int, make: Callable[[int], Iterator[Any]], evolve: Any, new: Any) -> float:
    events = list(make(count))
    started = time.perf_counter()
    state = new
    for event in events:
        state = evolve(state, event)
    return time.perf_counter() - started


def main(sizes: list[int]) -> None:
    tune_for_serving()
    for name, (make, evolve, new) in STREAMS.items():
        times = [fold_seconds(size, make, evolve, new) for size in sizes]
        for size, seconds in zip(sizes, times, strict=True):
            per_event = seconds / size * 1e6
            print(f"{name:<26} {size:>8,} events  {seconds:8.3f} s  {per_event:6.1f} µs/event")
        ratio = times[-1] / times[0]
        print(f"{name:<26} time ratio {ratio:.1f} for a size ratio of {sizes[-1] / sizes[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 40_000, 100_000])
    main(parser.parse_args().sizes)
