"""The three exports of a trial, one entry point for the API and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from events import EventStore
from server.audit.checkpoints import Checkpoints
from server.audit.log_file import Progress, log_lines

MEDIA_TYPES = {
    "jsonl": "application/jsonl",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


async def signed_log(
    store: EventStore,
    checkpoints: Checkpoints,
    trial_id: str | None,
    progress: Progress | None = None,
) -> AsyncIterator[str]:
    """The log as JSON Lines, headed by a checkpoint of the head signed (and recorded)
    before the first line is read."""
    checkpoint = await checkpoints.sign_head()
    pem = checkpoints.key.public_key_pem()
    return log_lines(store, checkpoint, pem, trial_id=trial_id, progress=progress)


async def write_export(
    store: EventStore,
    checkpoints: Checkpoints,
    trial_id: str | None,
    kind: str,
    out: Path,
    progress: Progress | None = None,
) -> int:
    """Write one export to ``out``; returns how many lines or events it holds."""
    count = 0
    with out.open("w", encoding="utf-8", newline="") as file:
        async for line in await signed_log(store, checkpoints, trial_id, progress):
            file.write(line)
            count += 1
    return count - 1
