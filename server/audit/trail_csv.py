"""The audit trail as CSV: one row per changed value, values in full as JSON text."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import fields
from operator import attrgetter

from server.audit.trail import TrailEntry

HEADINGS = tuple(field.name for field in fields(TrailEntry))
_ROW = attrgetter(*HEADINGS)


async def csv_lines(entries: AsyncIterator[TrailEntry]) -> AsyncIterator[str]:
    """The header row, then one row per entry (RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    async for entry in entries:
        writer.writerow(_ROW(entry))
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
