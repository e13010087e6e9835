"""How the store's own threads ask to be scheduled beside the event loops they serve."""

from __future__ import annotations

import contextlib
import os


def yield_to_wakers() -> None:
    """Let the thread that wakes the calling thread keep its CPU until it blocks (Linux).

    An event loop wakes the SQLite writer while it still holds the GIL. A woken thread may
    take the CPU at once when they share one (``concord serve`` keeps them on one: see
    server/affinity.py), and it would then only wait for the GIL: two context switches per
    append for nothing. The batch policy asks the scheduler not to preempt on wake-up; the
    thread runs when the loop blocks, and it mostly sleeps anyway (on its queue, on the
    disk), so it never runs behind for long. About 7% more single-caller appends per second
    on one CPU (docs/benchmarks.md, "The event store")."""
    batch_policy = getattr(os, "SCHED_BATCH", None)
    if batch_policy is not None:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, batch_policy, os.sched_param(0))
