"""Queries over the log, as plain synchronous SQLAlchemy run by either backend."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Select, and_, bindparam, func, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from events.canonical import format_timestamp, parse_timestamp
from events.envelope import RecordedEvent
from events.personal_data import MARK, PersonalKeys
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
    """Which events a reader wants: by type, by stream (one and those below it), or all."""

    types: frozenset[str] | None = None
    under: str | None = None
    """A stream id: that stream and every stream whose id continues with ``/``
    (``trial/t1`` holds ``trial/t1/protocol``, not ``trial/t10``)."""

    @classmethod
    def of(cls, types: Iterable[str] | None, under: str | None) -> LogFilter:
        if under is not None and (not under or under.endswith("/")):
            raise ValueError(f"under names a stream id (not empty, no trailing /), got {under!r}")
        return cls(frozenset(types) if types is not None else None, under)

    def matches(self, event: RecordedEvent) -> bool:
        """Whether ``event`` passes, as :meth:`apply` would decide in the database."""
        if self.types is not None and event.type not in self.types:
            return False
        under = self.under
        if under is None:
            return True
        stream_id = event.stream_id
        return stream_id == under or stream_id.startswith(under + "/")

    def apply(self, query: Select[Any], *, byte_order: bool) -> Select[Any]:
        """``query`` narrowed to the filter's events. ``byte_order``: the database
        compares stream ids byte by byte (:func:`ids_in_byte_order`)."""
        if self.types is not None:
            query = query.where(events.c.type.in_(self.types))
        if self.under is not None:
            query = query.where(_under(self.under, byte_order=byte_order))
        return query


def _under(under: str, *, byte_order: bool) -> ColumnElement[bool]:
    stream_id = events.c.stream_id
    if not byte_order:
        below = stream_id.startswith(under + "/", autoescape=True)
        return or_(stream_id == under, below)
    # A range of the stream index: byte by byte, "0" follows "/", so [under, under + "0")
    # holds ``under``, every id that continues with "/", and ids that continue with a
    # character before "/" (``trial/t1-x``), which the last test leaves out.
    return and_(
        stream_id >= under,
        stream_id < under + "0",
        or_(stream_id == under, stream_id >= under + "/"),
    )


_BYTE_ORDER_COLLATIONS = frozenset({"c", "posix", "c.utf-8", "c.utf8"})
_DATABASE_COLLATION = text(
    "SELECT datcollate, to_jsonb(d) ->> 'datlocprovider' FROM pg_database d"
    " WHERE datname = current_database()"
)


def ids_in_byte_order(conn: Connection) -> bool:
    """Whether the database compares stream ids byte by byte (so a range of the stream
    index selects the ids below a stream): SQLite always (the column's collation is
    BINARY); PostgreSQL when the database's collation is C, POSIX or C.UTF-8 (else the
    filter is a LIKE, which the index serves only in a C database)."""
    if conn.dialect.name == "sqlite":
        return True
    collation, provider = conn.execute(_DATABASE_COLLATION).one()
    if provider == "b":  # PostgreSQL's builtin provider: C or C.UTF-8, code point order
        return True
    return provider in (None, "c") and str(collation).lower() in _BYTE_ORDER_COLLATIONS


def decode(
    rows: Sequence[Any],
    upcasters: Upcasters,
    personal: PersonalKeys | None = None,
    conn: Connection | None = None,
) -> list[RecordedEvent]:
    """Events from rows in ``_COLUMNS`` order (the writer's ``EVENT_COLUMNS``), upcast,
    their personal data revealed by ``personal`` (keys not in memory read on ``conn``)."""
    loads = msgspec.json.decode
    decoded = []
    last_text, last_time = "", datetime.min
    for position, stream_id, version, type_, schema, data, meta, at, prev, hash_ in rows:
        if at != last_text:  # one group commit stamps all its events with the same time
            last_text, last_time = at, parse_timestamp(at)
        # One parse of both documents instead of two, with msgspec (several times json's
        # speed here):
        # decoding is most of a read's cost.
        data_value, meta_value = loads(f"[{data},{meta}]")
        if personal is not None and MARK in data:
            personal.reveal(data_value, conn)
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


def _positions(after: int, until: int | None) -> ColumnElement[bool]:
    position = events.c.position
    return position > after if until is None else and_(position > after, position <= until)


def read_all(
    conn: Connection,
    after: int,
    until: int | None,
    limit: int,
    log_filter: LogFilter,
    upcasters: Upcasters,
    byte_order: bool,
    personal: PersonalKeys | None = None,
) -> list[RecordedEvent]:
    query: Select[Any] = select(*_COLUMNS).where(_positions(after, until))
    query = log_filter.apply(query, byte_order=byte_order)
    query = query.order_by(events.c.position).limit(limit)
    return decode(conn.execute(query).all(), upcasters, personal, conn)


def read_stream(
    conn: Connection,
    stream_id: str,
    from_version: int,
    limit: int | None,
    upcasters: Upcasters,
    personal: PersonalKeys | None = None,
) -> list[RecordedEvent]:
    query = (
        select(*_COLUMNS)
        .where(events.c.stream_id == stream_id, events.c.stream_version >= from_version)
        .order_by(events.c.stream_version)
        .limit(limit)
    )
    return decode(conn.execute(query).all(), upcasters, personal, conn)


def read_stored(
    conn: Connection, after: int, until: int | None, limit: int
) -> list[StoredEnvelope]:
    """Rows exactly as stored, for verification and export."""
    query = select(*_COLUMNS).where(_positions(after, until)).order_by(events.c.position)
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
