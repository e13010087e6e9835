"""The audit report as the server answers it: made while the client waits, abandoned
(its layout's process killed) as soon as the client goes away; a failure is a problem."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from server.audit.history import Streams
from server.audit.report.layout_process import (
    RETRY_AFTER,
    ReportLayoutFailed,
    ReportsBusy,
)
from server.audit.report_pdf import audit_report
from server.audit.served_history import trial_at
from server.audit.trial_fold import TrialStates
from server.http.problems import Problem
from server.services import Services


def served_report(services: Services, trial_id: str) -> Response:
    """The trial's report, made when the answer is sent: the states from the audit
    history's saved checkpoints (503 while it is first built), the trial's streams alone
    read and proved, the pages laid out in a process of their own."""

    async def states_at(position: int, streams: Streams) -> TrialStates:
        return (await trial_at(services, trial_id, position, streams)).states

    async def made() -> bytes:
        try:
            return await audit_report(
                services.store,
                services.checkpoints,
                trial_id,
                proofs=services.merkle,
                states_at=states_at,
            )
        except ReportsBusy as busy:
            raise Problem(
                503,
                "reports-busy",
                f"{busy}; ask again in a moment",
                headers={"Retry-After": str(RETRY_AFTER)},
            ) from None
        except ReportLayoutFailed as failed:
            raise Problem(
                500,
                "report-layout-failed",
                f"The audit report of trial {trial_id} could not be laid out: {failed}. The"
                " server goes on serving; the audit trail (CSV) and the log (JSON Lines)"
                " exports hold the same record.",
                title="The audit report could not be laid out",
            ) from None

    return ReportAnswer(made)


class ReportAnswer(Response):
    """A PDF made while the client waits: the making is cancelled if the client goes away
    first (nothing is sent), and what it raises is answered as any handler's error."""

    def __init__(self, make: Callable[[], Awaitable[bytes]]) -> None:
        super().__init__(media_type="application/pdf")
        self._make = make

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _unless_gone(self._make, receive)
        if body is None:
            return
        self.body = body
        self.headers["content-length"] = str(len(body))
        await super().__call__(scope, receive, send)


async def _unless_gone(make: Callable[[], Awaitable[bytes]], receive: Receive) -> bytes | None:
    """What ``make`` returns, or None once the client has gone away (``make`` cancelled)."""
    work = asyncio.ensure_future(make())
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (work, gone):
            if not task.done():
                task.cancel()
        await asyncio.gather(work, gone, return_exceptions=True)
    if work.cancelled():
        return None
    return work.result()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
