"""Laying a report out in a process of its own, one report at a time.

ReportLab's layout is CPU work of tens of seconds for a big trial; in the server's
process it held the interpreter's lock against the event loop (other requests waited up
to 0.9 s) and its memory stayed with the server. Here the server hands the steps a
:class:`.script.ReportScript` recorded (plain data: what the report prints) to a fresh
Python (:mod:`.layout_child`, started like multiprocessing's ``spawn``, with its pipes
read by the event loop) and reads the PDF back.

- One report is made at a time (:func:`report_turn`: while its child lays it out, the
  machine's other core serves requests); ``WAITING`` more wait their turn, in order;
  past that, :class:`ReportsBusy` (the server answers 503 with Retry-After).
- The child is killed when the report is abandoned (the client went away, the server
  stops: the task is cancelled), after ``LAYOUT_SECONDS``, and it ends itself if the
  server is killed. Its address space is capped (``CONCORD_REPORT_MEMORY_MB``, default
  ``MEMORY_MB``).
- A child that fails raises :class:`ReportLayoutFailed` (its traceback goes to the
  server's log), never a hang."""

from __future__ import annotations

import asyncio
import logging
import marshal
import os
import sys
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from server.audit.report.script import ReportScript

LAYOUT_SECONDS = 900.0
"""How long a layout may take before its process is killed."""
MEMORY_MB = 2048
"""The child's address space, by default (laying out the report of a trial of a million
events took 64 MB resident at most: bench.audit_report)."""
MEMORY_VARIABLE = "CONCORD_REPORT_MEMORY_MB"
WAITING = 3
"""Reports that may wait for the one being laid out; more are refused for a while."""
RETRY_AFTER = 30
"""Seconds a refused report is told to wait before asking again."""
CHILD = "server.audit.report.layout_child"
_ROOT = str(Path(__file__).resolve().parents[3])
"""Where ``server`` is imported from, so the child imports the same code."""

logger = logging.getLogger(__name__)


class ReportLayoutFailed(RuntimeError):
    """The child laying a report out failed, or took too long: the server goes on."""


class ReportsBusy(RuntimeError):
    """A report is being laid out and ``WAITING`` more wait: ask again later."""


class _Turns:
    """Whose report is laid out (one at a time) and how many wait, for one event loop."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def report_turn() -> AsyncIterator[None]:
    """Wait for this report's turn (the one before it made), or raise
    :class:`ReportsBusy` if ``WAITING`` reports wait already."""
    turns = _TURNS.setdefault(asyncio.get_running_loop(), _Turns())
    if turns.lock.locked() and turns.waiting >= WAITING:
        raise ReportsBusy(
            f"{WAITING + 1} audit reports are being made; this server lays one out at a time"
        )
    turns.waiting += 1
    try:
        await turns.lock.acquire()
    finally:
        turns.waiting -= 1
    try:
        yield
    finally:
        turns.lock.release()


def memory_cap() -> int:
    """The child's address space in bytes (``CONCORD_REPORT_MEMORY_MB``; 0: no cap)."""
    value = os.environ.get(MEMORY_VARIABLE, str(MEMORY_MB))
    try:
        megabytes = int(value)
    except ValueError:
        raise ReportLayoutFailed(
            f"{MEMORY_VARIABLE} is a number of megabytes, not {value!r}"
        ) from None
    return max(megabytes, 0) * 2**20


async def laid_out(script: ReportScript) -> bytes:
    """The PDF of ``script``, laid out in a child process (within :func:`report_turn`)."""
    handed = marshal.dumps((script.title, script.steps))
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": _ROOT if not path else f"{_ROOT}{os.pathsep}{path}"}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        CHILD,
        str(memory_cap()),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        pdf, errors = await asyncio.wait_for(child.communicate(handed), LAYOUT_SECONDS)
    except TimeoutError:
        raise ReportLayoutFailed(
            f"laying the report out took longer than {LAYOUT_SECONDS:.0f} s"
        ) from None
    finally:
        if child.returncode is None:
            with suppress(ProcessLookupError):
                child.kill()
            await asyncio.shield(child.wait())
    if child.returncode != 0:
        logger.error(
            "the audit report's layout process (%d) ended with status %s:\n%s",
            child.pid,
            child.returncode,
            errors.decode(errors="replace")[-4000:],
        )
        raise ReportLayoutFailed(
            f"the process laying the report out ended with status {child.returncode}"
        )
    return pdf
