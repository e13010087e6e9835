"""The three exports of a trial, one entry point for the API and the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from events import EventStore
from events.merkle_store import MerkleTree
from server.audit.checkpoints import Checkpoints
from server.audit.log_file import log_lines
from server.audit.progress import Progress
from server.audit.report_pdf import audit_report
from server.audit.signing import Checkpoint
from server.audit.trail import audit_trail
from server.audit.trail_csv import csv_lines

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
    return _proved_lines(store, checkpoints, checkpoint, pem, trial_id, progress)


async def _proved_lines(
    store: EventStore,
    checkpoints: Checkpoints,
    checkpoint: Checkpoint,
    pem: str,
    trial_id: str | None,
    progress: Progress | None,
) -> AsyncIterator[str]:
    """The log's lines, each event shown with its inclusion proof in the Merkle tree of
    the checkpoint's size: the tree saved beside the log (the server's follower keeps it
    within milliseconds of the head; what it lacks is added, and saved, first)."""
    tree = MerkleTree(store, checkpoints.engine)
    await tree.catch_up(checkpoint.position)
    try:
        lines = log_lines(store, checkpoint, pem, trial_id=trial_id, progress=progress, proofs=tree)
        async for line in lines:
            yield line
    finally:
        await tree.close()


async def export_text(
    store: EventStore,
    checkpoints: Checkpoints,
    trial_id: str | None,
    kind: str,
    progress: Progress | None = None,
) -> AsyncIterator[str]:
    """The JSON Lines log or the CSV audit trail (which needs a trial), piece by piece."""
    if kind == "jsonl":
        return await signed_log(store, checkpoints, trial_id, progress)
    if trial_id is None:
        raise ValueError("the audit trail is of one trial: name it")
    return csv_lines(audit_trail(store, trial_id, progress=progress))


async def write_export(
    store: EventStore,
    checkpoints: Checkpoints,
    trial_id: str | None,
    kind: str,
    out: Path,
    progress: Progress | None = None,
) -> None:
    """Write one export (``jsonl``, ``csv`` or ``pdf``) to ``out``."""
    if kind == "pdf":
        if trial_id is None:
            raise ValueError("the audit report is of one trial: name it")
        report = await audit_report(store, checkpoints, trial_id, progress=progress)
        await asyncio.to_thread(out.write_bytes, report)
        return
    pieces = await export_text(store, checkpoints, trial_id, kind, progress)
    with out.open("w", encoding="utf-8", newline="") as file:
        async for piece in pieces:
            file.write(piece)
