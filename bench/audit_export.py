"""The CSV audit trail of a long comment thread: how long the export takes, and how long
another task on the event loop waits meanwhile.

    python -m bench.audit_export [--comments 1250 5000 20000]

For each size, writes a fresh SQLite log holding one trial whose only thread has that many
comments (each in reply to none, by one of 40 people), then exports the trial's audit
trail as CSV (``csv_lines(audit_trail(...))``, what ``GET .../audit/export.csv`` sends)
while a ticker on the same event loop asks for a turn every millisecond. Prints the
rows, the export's time, the ticker's longest wait and this process's peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from domain.catalog import to_data
from domain.charter import DEFAULT_CHARTER
from domain.engagement import CommentPosted, CommentSubjectKind
from domain.event import Event
from domain.streams import comments_stream, trial_stream
from domain.workspace_events import TrialCreated
from events import EventStore, NewEvent, StreamAppend, open_store
from server.audit.trail import audit_trail
from server.audit.trail_csv import csv_lines

TRIAL = "thread-301"
AUTHORS = tuple(f"u-{i}" for i in range(40))
BATCH = 1_000


def _new(event: Event) -> NewEvent:
    return NewEvent(event.event_type, to_data(event), meta={"actor": "u-1"})


def _comment(n: int) -> CommentPosted:
    return CommentPosted(
        trial_id=TRIAL, subject_kind=CommentSubjectKind.SECTION, subject_id="5.2",
        comment_id=f"C-{n}", text=f"Comment {n}: please clarify the visit window.",
        author_id=AUTHORS[n % len(AUTHORS)], needs_disposition=False, in_reply_to=None,
    )  # fmt: skip


async def write_thread(store: EventStore, comments: int) -> None:
    created = TrialCreated(
        trial_id=TRIAL, title="A long thread", charter=DEFAULT_CHARTER, created_by="u-1"
    )
    await store.append(StreamAppend(trial_stream(TRIAL), [_new(created)]))
    stream = comments_stream(TRIAL, CommentSubjectKind.SECTION, "5.2")
    for first in range(1, comments + 1, BATCH):
        batch = [_new(_comment(n)) for n in range(first, min(first + BATCH, comments + 1))]
        await store.append(StreamAppend(stream, batch))


async def _ticker(stop: asyncio.Event, waits: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(0.001)
        waits.append(time.perf_counter() - asked - 0.001)


async def export_once(db: Path, comments: int) -> None:
    store = await open_store(f"sqlite:///{db}")
    try:
        await write_thread(store, comments)
        stop, waits = asyncio.Event(), list[float]()
        ticker = asyncio.create_task(_ticker(stop, waits))
        started = time.perf_counter()
        rows = size = 0
        async for piece in csv_lines(audit_trail(store, TRIAL)):
            rows += piece.count("\r\n")
            size += len(piece)
        took = time.perf_counter() - started
        stop.set()
        await ticker
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{comments:>7,} comments: {rows - 1:>8,} rows, {size / 1e6:6.1f} MB of CSV in"
            f" {took:7.2f} s; another task waited at most {max(waits) * 1000:6.1f} ms;"
            f" peak memory {rss_mb:,.0f} MB"
        )
    finally:
        await store.close()


async def main(sizes: list[int]) -> None:
    for comments in sizes:
        with tempfile.TemporaryDirectory(prefix="concord-export-") as folder:
            await export_once(Path(folder) / "thread.sqlite", comments)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, nargs="+", default=[1_250, 5_000, 20_000])
    asyncio.run(main(parser.parse_args().comments))
