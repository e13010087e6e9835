"""Which CPUs a Concord process runs on (``concord serve --cpu auto|all|N``).

A Concord process is one event loop and a few threads the loop hands work to: the SQLite
writer, the readers. Each hand-off wakes a sleeping thread and each result wakes the
sleeping loop. When the two sit on different CPUs, every such wake-up is an
inter-processor interrupt, and on a virtual machine whose idle CPUs halt at once that
costs tens of microseconds each way: about a third of a single durable append. Python's
GIL lets only one of these threads run Python at a time anyway, so keeping them all on
one CPU loses little (the database's own C code and the disk wait still overlap) and
saves those wake-ups. Measured in docs/benchmarks.md ("One CPU").

So on SQLite ``concord serve`` keeps the process on one CPU by default (``auto``: the CPU
it starts on), except the threads that hash passwords (argon2 releases the GIL and would
take the loop's CPU from it: :func:`run_anywhere`). On PostgreSQL it does not: the
database server needs the same CPUs, and pinning measured slower there. ``all`` keeps
every CPU; ``N`` names one. Several Concord processes on one machine should each be given
their own CPU, or ``all``.

Pin before the process starts its threads: threads inherit their creator's affinity.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

AUTO = "auto"
ALL = "all"

CpuChoice = int | str
"""A CPU number, :data:`AUTO` or :data:`ALL`."""


def parse_cpu_choice(text: str) -> CpuChoice:
    """``auto``, ``all`` or a CPU number; raises ValueError for anything else."""
    if text in (AUTO, ALL):
        return text
    try:
        cpu = int(text)
    except ValueError:
        raise ValueError(f"expected auto, all or a CPU number, got {text!r}") from None
    if cpu < 0:
        raise ValueError(f"a CPU number is 0 or more, got {cpu}")
    return cpu


def cpu_for(choice: CpuChoice, *, on_sqlite: bool) -> int | None:
    """The CPU to keep the process on, or None for every CPU it may use.

    ``auto`` means one CPU on SQLite (the one this thread runs on now), every CPU on
    PostgreSQL; it also means every CPU where the process may use only one anyway, or
    where the platform cannot pin (only Linux can)."""
    if choice == ALL:
        return None
    if choice == AUTO:
        if not on_sqlite or not can_pin() or len(os.sched_getaffinity(0)) < 2:
            return None
        return current_cpu()
    assert isinstance(choice, int)
    return choice


def can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and Path("/proc/thread-self/stat").exists()


def current_cpu() -> int:
    """The CPU the calling thread last ran on (it is running on it now)."""
    stat = Path("/proc/thread-self/stat").read_text()
    # The command name (field 2) may hold spaces and parentheses: count after its end.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[36])  # field 39, "processor"; fields[0] here is field 3


_ALLOWED_BEFORE_PINNING: set[int] | None = None
"""The CPUs the process could use before :func:`pin_to_cpu` (None: never pinned)."""


def pin_to_cpu(cpu: int) -> None:
    """Run this process's threads, and every thread they start, on ``cpu`` only.

    Raises ValueError when the CPU is not one this process may use, or when the platform
    cannot pin (only Linux can)."""
    global _ALLOWED_BEFORE_PINNING
    if not can_pin():
        raise ValueError("pinning to a CPU is only possible on Linux")
    allowed = os.sched_getaffinity(0)
    if cpu not in allowed:
        raise ValueError(f"CPU {cpu} is not one this process may use: {sorted(allowed)}")
    if _ALLOWED_BEFORE_PINNING is None:
        _ALLOWED_BEFORE_PINNING = allowed
    set_process_cpus({cpu})


def unpin() -> None:
    """Undo :func:`pin_to_cpu`: every thread of the process on the CPUs it had before."""
    if _ALLOWED_BEFORE_PINNING is not None:
        set_process_cpus(_ALLOWED_BEFORE_PINNING)


def run_anywhere(name: str) -> None:
    """Let the calling thread use every CPU the process could use before it was pinned,
    and give it ``name`` where tools see it (``top -H``, ``/proc/PID/task/TID/comm``).

    For threads of heavy work that releases the GIL (password hashing: ~100 ms of CPU each),
    which would otherwise take the event loop's one CPU from it. A thread pool's
    initializer."""
    with contextlib.suppress(OSError):  # not Linux: the name is only a convenience
        Path("/proc/thread-self/comm").write_text(name[:15])
    if _ALLOWED_BEFORE_PINNING is not None:
        os.sched_setaffinity(0, _ALLOWED_BEFORE_PINNING)


def set_process_cpus(cpus: set[int]) -> None:
    """Allow every thread of this process (and those they start) exactly ``cpus``."""
    # The call pins one thread (0: the calling one); pin any already running as well.
    tasks = Path("/proc/self/task")
    for thread_id in [int(task.name) for task in tasks.iterdir()] if tasks.is_dir() else [0]:
        with contextlib.suppress(ProcessLookupError):  # the thread ended meanwhile
            os.sched_setaffinity(thread_id, cpus)
