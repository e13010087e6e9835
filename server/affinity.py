"""Keeping a Concord process on one CPU (``concord serve --cpu N``).

A Concord process is one event loop and a few threads the loop hands work to: the SQLite
writer, the readers. Each hand-off wakes a sleeping thread and each result wakes the
sleeping loop. When the two sit on different CPUs, every such wake-up is an
inter-processor interrupt, and on a virtual machine whose idle CPUs halt at once that
costs tens of microseconds each way: about a quarter of a single durable append. Python's
GIL lets only one of these threads run Python at a time anyway, so keeping them all on
one CPU loses little (the database's own C code and the disk wait still overlap) and
saves those wake-ups. Measured in docs/benchmarks.md ("One CPU").

Pin before the process starts its threads: threads inherit their creator's affinity. Run
one pinned process per CPU; leave a CPU for the database server when it shares the
machine.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def pin_to_cpu(cpu: int) -> None:
    """Run this process's threads, and every thread they start, on ``cpu`` only.

    Raises ValueError when the CPU is not one this process may use, or when the platform
    cannot pin (only Linux can)."""
    if not hasattr(os, "sched_setaffinity"):
        raise ValueError("pinning to a CPU is only possible on Linux")
    allowed = os.sched_getaffinity(0)
    if cpu not in allowed:
        raise ValueError(f"CPU {cpu} is not one this process may use: {sorted(allowed)}")
    # The call pins one thread (0: the calling one); pin any already running as well.
    tasks = Path("/proc/self/task")
    for thread_id in [int(task.name) for task in tasks.iterdir()] if tasks.is_dir() else [0]:
        with contextlib.suppress(ProcessLookupError):  # the thread ended meanwhile
            os.sched_setaffinity(thread_id, {cpu})
