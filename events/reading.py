"""Queries over the log, as plain synchronous SQLAlchemy run by either backend."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select

from events.canonical import format_timestamp, parse_timestamp
from events.envelope import RecordedEvent
from events.schema import events
from events.upcasting import Upcasters
from events.verification import StoredEnvelope

_COLUMNS = (
    events.c.position,
    events.c.stream_id,
    events.c.stream_version,
    events.c.type,
    events.c.schema_version,
    events.c.data,
    events.c.meta,
    events.c.recorded_at,
    events.c.prev_hash,
    events.c.hash,
)


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which events a reader wants: by type, by stream id prefix, or all (the default)."""

    types: frozenset[str] | None = None
    stream_prefix: str | None = None

    @classmethod
    def of(cls, types: Iterable[str] | None, stream_prefix: str | None) -> LogFilter:
        return cls(frozenset(types) if types is not None else None, stream_prefix)

    def matches(self, event: RecordedEvent) -> bool:
        """Whether ``event`` passes, as :meth:`apply` would decide in the database."""
        if self.types is not None and event.type not in self.types:
            return False
        return not self.stream_prefix or event.stream_id.startswith(self.stream_prefix)

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.types is not None:
            query = query.where(events.c.type.in_(self.types))
        if self.stream_prefix:
            query = query.where(events.c.stream_id.startswith(self.stream_prefix, autoescape=True))
        return query


def decode(rows: Sequence[Any], upcasters: Upcasters) -> list[RecordedEvent]:
    """Events from rows in ``_COLUMNS`` order (the writer's ``EVENT_COLUMNS``), upcast."""
    loads = json.loads
    decoded = []
    last_text, last_time = "", datetime.min
    for position, stream_id, version, type_, schema, data, meta, at, prev, hash_ in rows:
        if at != last_text:  # one group commit stamps all its events with the same time
            last_text, last_time = at, parse_timestamp(at)
        # One parse of both documents instead of two: a measurable share of read cost.
        data_value, meta_value = loads(f"[{data},{meta}]")
        if upcasters:
            schema, data_value = upcasters.upcast(type_, schema, data_value)
        decoded.append(
            RecordedEvent(
                position,
                stream_id,
                version,
                type_,
                schema,
                data_value,
                meta_value,
                last_time,
                prev,
                hash_,
            )
        )
    return decoded


def read_all(
    conn: Connection, after: int, limit: int, log_filter: LogFilter, upcasters: Upcasters
) -> list[RecordedEvent]:
    query = select(*_COLUMNS).where(events.c.position > after)
    query = log_filter.apply(query).order_by(events.c.position).limit(limit)
    return decode(conn.execute(query).all(), upcasters)


def read_stream(
    conn: Connection, stream_id: str, from_version: int, limit: int | None, upcasters: Upcasters
) -> list[RecordedEvent]:
    query = (
        select(*_COLUMNS)
        .where(events.c.stream_id == stream_id, events.c.stream_version >= from_version)
        .order_by(events.c.stream_version)
        .limit(limit)
    )
    return decode(conn.execute(query).all(), upcasters)


def read_stored(conn: Connection, after: int, limit: int) -> list[StoredEnvelope]:
    """Rows exactly as stored, for verification and export."""
    query = select(*_COLUMNS).where(events.c.position > after).order_by(events.c.position)
    rows: Sequence[Sequence[Any]] = conn.execute(query.limit(limit)).all()
    return [StoredEnvelope(*row) for row in rows]


def stream_version(conn: Connection, stream_id: str) -> int:
    query = select(func.max(events.c.stream_version)).where(events.c.stream_id == stream_id)
    return conn.execute(query).scalar() or 0


def head_position(conn: Connection) -> int:
    return conn.execute(select(func.max(events.c.position))).scalar() or 0


def position_at(conn: Connection, moment: datetime) -> int:
    """Binary search over positions: ``recorded_at`` never decreases as positions rise,
    so ~log2(N) primary-key look-ups replace an index on time."""
    target = format_timestamp(moment)
    query = select(events.c.recorded_at).where(events.c.position == bindparam("position"))
    low, high = 0, head_position(conn)  # invariant: time(low) <= target < time(high + 1)
    while low < high:
        middle = (low + high + 1) // 2
        if conn.execute(query, {"position": middle}).scalar_one() <= target:
            low = middle
        else:
            high = middle - 1
    return low
