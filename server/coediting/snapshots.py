"""Shared-text documents saved at a stream version (``shared_text_snapshots``).

Opening a section whose shared text has a long history starts from its newest snapshot
and folds only the updates after it. A snapshot is derived data, never the record: one
whose format is not :data:`SNAPSHOT_FORMAT`, whose digest does not match its bytes, or
whose version is beyond the stream's is ignored (and replaced by the next one saved), so
the worst a damaged snapshot costs is a longer fold. Created by
``migrations/versions/0006_shared_text_snapshots.py``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.codec import DataDoesNotFit, decode, encode
from domain.shared_text import SharedText
from events.snapshots import digest

SNAPSHOT_FORMAT = 1
"""The encoding of ``state`` (a Yjs update, v1, holding the whole document) and of
``fold`` (the domain's ``SharedText`` as the codec writes it, JSON)."""

metadata = MetaData()
shared_text_snapshots = Table(
    "shared_text_snapshots",
    metadata,
    Column("stream_id", String(400), primary_key=True),
    Column("stream_version", Integer, nullable=False),
    Column("format", Integer, nullable=False),
    Column("state", LargeBinary, nullable=False),
    Column("fold", Text, nullable=False),
    Column("digest", String(64), nullable=False),
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A document as of ``version`` of its stream, and the domain's fold of it."""

    version: int
    state: bytes
    fold: SharedText


class TextSnapshots:
    """The snapshots in ``engine``'s database (one per stream: the newest)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def newest(self, stream_id: str, *, stream_version: int) -> Snapshot | None:
        """The stream's snapshot if it checks out against a stream now at
        ``stream_version``, else None."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(shared_text_snapshots).where(
                        shared_text_snapshots.c.stream_id == stream_id
                    )
                )
            ).first()
        if row is None:
            return None
        state, fold = bytes(row.state), row.fold
        problem = _problem(
            row.format, state + fold.encode(), row.digest, row.stream_version, stream_version
        )
        if problem is None:
            try:
                return Snapshot(row.stream_version, state, decode(SharedText, json.loads(fold)))
            except (ValueError, DataDoesNotFit) as unreadable:
                problem = f"its fold cannot be read: {unreadable}"
        logger.warning("ignoring the snapshot of %s: %s", stream_id, problem)
        return None

    async def save(self, stream_id: str, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` unless the stream has a newer one already."""
        fold = json.dumps(encode(snapshot.fold), sort_keys=True, separators=(",", ":"))
        values = {
            "stream_version": snapshot.version,
            "format": SNAPSHOT_FORMAT,
            "state": snapshot.state,
            "fold": fold,
            "digest": digest(snapshot.state + fold.encode()),
        }
        table = shared_text_snapshots
        async with self._engine.begin() as conn:
            replaced = await conn.execute(
                update(table)
                .where(table.c.stream_id == stream_id)
                .where(table.c.stream_version < snapshot.version)
                .values(**values)
            )
            if replaced.rowcount:
                return
            exists = await conn.execute(
                select(table.c.stream_id).where(table.c.stream_id == stream_id)
            )
            if exists.first() is not None:
                return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(table.insert().values(stream_id=stream_id, **values))
        except IntegrityError:
            pass  # another process saved one meanwhile: either will do


def _problem(
    format_: int, content: bytes, stored_digest: str, version: int, stream_version: int
) -> str | None:
    if format_ != SNAPSHOT_FORMAT:
        return f"format {format_}, not {SNAPSHOT_FORMAT}"
    if digest(content) != stored_digest:
        return "its digest does not match its bytes"
    if version > stream_version:
        return f"version {version} is beyond the stream's {stream_version}"
    return None
