"""Verifying the log in the database: the hash chain, then every signed checkpoint
against it. ``concord verify`` and ``GET /api/trials/{id}/audit/verification`` both ask
:func:`verify_log`; with ``?progress=true`` the answer comes as JSON lines, the progress
first (:func:`verification_progress`), so a page can show how far a long check is."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from events import EventStore
from server.audit.checkpoints import Checkpoints, checkpoint_problem, hash_at


@dataclass(frozen=True, slots=True)
class LogVerification:
    """What verifying the log found. ``first_bad_position`` is None when all holds."""

    checked: int
    head_position: int
    head_hash: str
    checkpoints: int
    first_bad_position: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_position is None and self.problem is None

    def summary(self) -> str:
        """One line, as ``concord verify`` prints it."""
        if self.first_bad_position is not None:
            return f"BROKEN at position {self.first_bad_position}: {self.problem}"
        if self.problem is not None:
            return self.problem
        return (
            f"ok: {self.checked} events, head {self.head_position} {self.head_hash};"
            f" {self.checkpoints} signed checkpoints agree"
        )


async def verify_log(
    store: EventStore,
    checkpoints: Checkpoints,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> LogVerification:
    """Recompute the chain, then check every recorded checkpoint: its signature, that the
    log reaches its position, and that the hash there is the signed one."""
    report = await store.verify(progress=progress)
    found = LogVerification(report.checked, report.head_position, report.head_hash, 0)
    if not report.ok:
        return replace(found, first_bad_position=report.first_bad_position, problem=report.problem)
    recorded = await checkpoints.recorded()
    key = checkpoints.key
    if recorded and not key.path.exists():
        problem = f"cannot check {len(recorded)} signed checkpoints: no key at {key.path}"
        return replace(found, problem=problem)
    for checkpoint in recorded:
        there = await hash_at(store, checkpoint.position)
        bad = checkpoint_problem(checkpoint, key.public_key, report.head_position, there)
        if bad is not None:
            return replace(found, first_bad_position=bad[0], problem=bad[1])
    return replace(found, checkpoints=len(recorded))


PROGRESS_MEDIA_TYPE = "application/x-ndjson"

logger = logging.getLogger(__name__)


def verification_answer(found: LogVerification) -> dict[str, Any]:
    """What the API answers: the findings, ``ok`` and the one-line summary."""
    return {**asdict(found), "ok": found.ok, "summary": found.summary()}


async def verification_progress(store: EventStore, checkpoints: Checkpoints) -> AsyncIterator[str]:
    """JSON lines: ``{"checked", "head_position"}`` as the chain is recomputed (a page of
    the log at a time), then the answer of :func:`verification_answer` (or, if the check
    itself failed, ``{"problem"}``). Stops the check when the reader goes away."""
    steps: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
    check = asyncio.create_task(
        verify_log(store, checkpoints, progress=lambda done, head: steps.put_nowait((done, head)))
    )
    check.add_done_callback(lambda _: steps.put_nowait(None))
    try:
        while (step := await steps.get()) is not None:
            yield json.dumps({"checked": step[0], "head_position": step[1]}) + "\n"
        try:
            found = check.result()
        except Exception:  # the answer has begun (200): say so in its last line
            logger.exception("verifying the log failed")
            yield json.dumps({"problem": "the server could not finish verifying the log"}) + "\n"
            return
        yield json.dumps(verification_answer(found)) + "\n"
    finally:
        check.cancel()
