"""Audit checkpoints beside the log (``audit_checkpoints``, migration 0013).

:class:`server.audit.history.TrialHistory` saves, at each checkpoint of a trial (after
every ``snapshot_every`` of the trial's events), the state of each stream the checkpoint
changed: one row ``(trial_id, count, stream_id)``, ``count`` being the trial's events
folded so far. A checkpoint's **marker** (the row whose ``stream_id`` is
:data:`MARKER`) holds the log positions of the trial's events since the previous one, so
a restarted server knows the trial's positions and which checkpoints exist without
reading the log.

Derived data, never the record: a row is used only if its ``schema_version`` is
:data:`SCHEMA_VERSION`, the log's event at its ``position`` (the trial's ``count``-th
event) has the ``log_hash`` recorded with it, and its ``digest`` (SHA-256) matches its
bytes. The markers are checked when a trial's index is read (it ends before the first
that does not check out, and the log is read from there); a stream's row when it is
loaded (one that does not check out is rebuilt by folding that stream from its previous
row, and saved again). A state is the domain's frozen dataclass written as JSON by
``domain.codec`` (never pickle), compressed with zlib: the protocol's 32 kept revisions
a section, repeated at every checkpoint, compress about twentyfold.

A row of a stream that lists show as one line (an amendment, a motion, a dispute) may also
hold that **line** (:mod:`server.audit.listed_lines`: the summary's JSON, with its own
``line_digest``), so that a replay listing thousands of motions reads their lines rather
than decoding their states (migration 0015; older rows have none, and the line is made
from the state).

Erasing a person's personal data deletes the rows (``server/personal_data.py``): they
hold names in clear.
"""

from __future__ import annotations

import abc
import hashlib
import logging
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import msgspec
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from domain.codec import decode, encode
from events.schema import events
from server.audit.trial_fold import kind_of
from server.commands.state_snapshots import SCHEMA_VERSION as STATE_SCHEMA_VERSION

CHECKPOINT_FORMAT = 2
"""The rows' own format (markers, compression): 2 since the markers' positions are binary
(and rows may hold their line; rows of format 1 are ignored, pruned and saved again)."""
SCHEMA_VERSION = STATE_SCHEMA_VERSION * 100 + CHECKPOINT_FORMAT
"""What a row must say to be read: raising the aggregates' state schema
(``server/commands/state_snapshots.py``) or :data:`CHECKPOINT_FORMAT` ignores older rows."""
MARKER = ""
"""The ``stream_id`` of a checkpoint's marker row."""
LOAD_CHUNK = 1_000
"""Rows asked for in one query."""

logger = logging.getLogger(__name__)

_POSITION = BigInteger().with_variant(Integer(), "sqlite")
metadata = MetaData()
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("trial_id", String(200), primary_key=True),
    Column("count", _POSITION, primary_key=True, autoincrement=False),
    Column("stream_id", String(200), primary_key=True),
    Column("position", _POSITION, nullable=False),
    Column("stream_version", _POSITION, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("log_hash", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("line", LargeBinary, nullable=True),
    Column("line_digest", String(64), nullable=True),
    Index("audit_checkpoints_by_position", "position"),
)

Key = tuple[str, int]
"""A stream's row: ``(stream_id, count)``."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row to save: a stream's state (encoded) or a marker, at the trial's ``count``-th
    event, log position ``position``."""

    stream_id: str
    count: int
    position: int
    stream_version: int
    data: bytes
    line: bytes | None = None
    """The stream's line in lists (:mod:`server.audit.listed_lines`), if it has one."""


@dataclass(frozen=True, slots=True)
class SavedIndex:
    """What a trial's rows say up to the last checkpoint that checks out."""

    checkpoints: list[int]
    """The counts of the checkpoints, ascending (0 first)."""
    ends: array[int]
    """The log position of each checkpoint's last event (0 for the checkpoint 0): the
    positions between are read from the markers' bytes when a question falls among them
    (:func:`marker_positions`)."""
    versions: list[tuple[str, int, int]]
    """``(stream_id, count, stream_version)`` of each stream's row, by count."""


# --- encoding (in a worker thread: it reads only immutable states) --------------------


def encode_state(state: Any) -> tuple[bytes, int]:
    """A state's stored bytes, and the size of its JSON (what keeping it costs, roughly:
    decoded, it takes about 3.3 times that)."""
    data = msgspec.json.encode(encode(state))
    return zlib.compress(data, 1), len(data)


def decode_state(stream_id: str, data: bytes) -> tuple[Any, int]:
    """A stream's state from its stored bytes, and the size of its JSON; ValueError (or a
    msgspec or zlib error) for bytes that do not read as the stream's state."""
    kind = kind_of(stream_id)
    if kind is None:
        raise ValueError(f"{stream_id!r} is no stream of a trial")
    text = zlib.decompress(data)
    return decode(type(kind.new), msgspec.json.decode(text)), len(text)


def encode_positions(positions: Sequence[int]) -> bytes:
    """A marker's bytes: the positions as 8-byte little-endian integers, compressed. Read
    back with no Python step per position: a restart reads a trial of a million events'
    930,000 positions in some 30 ms (gaps written as JSON took 100 ms to add up)."""
    numbers = array("q", positions)
    if sys.byteorder == "big":
        numbers.byteswap()
    return zlib.compress(numbers.tobytes(), 1)


def decode_positions(data: bytes) -> array[int]:
    raw = zlib.decompress(data)
    if len(raw) % 8:
        raise ValueError(f"{len(raw)} bytes are no whole number of positions")
    numbers = array("q")
    numbers.frombytes(raw)
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


UNREADABLE: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    msgspec.MsgspecError,
    zlib.error,
)
"""What reading a row's bytes may raise."""


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def ignored(trial_id: str, stream_id: str, count: int, problem: str) -> None:
    """Log that a row is not used, and why."""
    what = "marker" if stream_id == MARKER else f"state of {stream_id}"
    logger.warning(
        "ignoring the audit checkpoint of trial %s at %d events (%s): %s",
        trial_id,
        count,
        what,
        problem,
    )


def saved_index(trial_id: str, rows: Iterable[tuple[str, int, int, int, str | None]]) -> SavedIndex:
    """The index that ``rows`` (``stream_id, count, stream_version, position, problem``,
    by count) vouch for: up to the last of an unbroken run of markers that check out (their
    bytes are checked when read: :func:`marker_positions`)."""
    checkpoints, ends, versions = [0], array("q", [0]), []
    for stream_id, count, stream_version, position, problem in rows:
        if stream_id != MARKER:
            versions.append((stream_id, count, stream_version))
            continue
        if problem is None and (count <= checkpoints[-1] or position <= ends[-1]):
            problem = "its count or position does not continue the previous checkpoint's"
        if problem is not None:
            ignored(trial_id, stream_id, count, problem)
            break
        checkpoints.append(count)
        ends.append(position)
    last = checkpoints[-1]
    return SavedIndex(checkpoints, ends, [v for v in versions if v[1] <= last])


def marker_positions(
    data: bytes, counts: tuple[int, int], ends: tuple[int, int]
) -> array[int] | str:
    """The positions a marker's bytes hold, if they are the events ``counts[0] + 1`` to
    ``counts[1]``, ascending, after position ``ends[0]`` and ending at ``ends[1]``;
    otherwise why not."""
    try:
        positions = decode_positions(data)
    except UNREADABLE as unreadable:
        return f"its positions cannot be read: {unreadable}"
    if (
        len(positions) != counts[1] - counts[0]
        or not positions
        or positions[0] <= ends[0]
        or positions[-1] != ends[1]
        or any(a >= b for a, b in pairwise(positions))
    ):
        return "its positions do not continue the previous checkpoint's"
    return positions


# --- where the rows are kept ------------------------------------------------------------


class CheckpointStore(abc.ABC):
    """Where a :class:`~server.audit.history.TrialHistory` keeps its checkpoints."""

    @abc.abstractmethod
    async def index(self, trial_id: str) -> SavedIndex:
        """The trial's checkpoints that check out (see the module's docstring)."""

    @abc.abstractmethod
    async def marker(self, trial_id: str, count: int) -> bytes | None:
        """The bytes of the marker of the checkpoint of ``count`` events, if its row is
        there and checks out (its schema version, the log's hash, its digest)."""

    @abc.abstractmethod
    async def prune(self, trial_id: str, last: int) -> None:
        """Delete the trial's rows past the checkpoint of ``last`` events."""

    @abc.abstractmethod
    async def save(self, trial_id: str, rows: Sequence[Row]) -> None:
        """Keep ``rows`` (replacing any at the same keys), in one transaction."""

    @abc.abstractmethod
    async def load(self, trial_id: str, keys: Sequence[Key]) -> dict[Key, bytes]:
        """The bytes of the rows at ``keys`` that check out (the others are logged and
        left out)."""

    @abc.abstractmethod
    async def load_lines(self, trial_id: str, keys: Sequence[Key]) -> dict[Key, bytes]:
        """The lines of the rows at ``keys`` that hold one and check out (their schema
        version, the log's hash at their position, their line's digest)."""

    @abc.abstractmethod
    def forget_in_memory(self) -> None:
        """Drop what this process holds of the rows (a person's data was erased)."""


class MemoryCheckpoints(CheckpointStore):
    """Rows held in this process (the CLI's one-off replays, benchmarks, tests): nothing
    outlives it, so nothing needs checking against the log."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[Key, Row]] = {}

    async def index(self, trial_id: str) -> SavedIndex:
        rows = sorted(self._rows.get(trial_id, {}).values(), key=lambda r: r.count)
        return saved_index(
            trial_id,
            ((r.stream_id, r.count, r.stream_version, r.position, None) for r in rows),
        )

    async def marker(self, trial_id: str, count: int) -> bytes | None:
        row = self._rows.get(trial_id, {}).get((MARKER, count))
        return None if row is None else row.data

    async def prune(self, trial_id: str, last: int) -> None:
        kept = self._rows.get(trial_id, {})
        for key in [key for key in kept if key[1] > last]:
            del kept[key]

    async def save(self, trial_id: str, rows: Sequence[Row]) -> None:
        kept = self._rows.setdefault(trial_id, {})
        for row in rows:
            kept[row.stream_id, row.count] = row

    async def load(self, trial_id: str, keys: Sequence[Key]) -> dict[Key, bytes]:
        kept = self._rows.get(trial_id, {})
        return {key: kept[key].data for key in keys if key in kept}

    async def load_lines(self, trial_id: str, keys: Sequence[Key]) -> dict[Key, bytes]:
        kept = self._rows.get(trial_id, {})
        lines = {key: kept[key].line for key in keys if key in kept}
        return {key: line for key, line in lines.items() if line is not None}

    def forget_in_memory(self) -> None:
        self._rows.clear()


class StoredCheckpoints(CheckpointStore):
    """Rows in ``engine``'s database (the event store's)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def index(self, trial_id: str) -> SavedIndex:
        table = audit_checkpoints
        # The markers' rows are checked here, their bytes when a question falls among
        # their positions; the streams' rows when they are loaded: reading neither bytes
        # nor the streams' hashes keeps a restart's first read of a trial of a million
        # events to a few tens of milliseconds.
        markers = (
            select(
                table.c.count,
                table.c.position,
                table.c.schema_version,
                table.c.log_hash,
                events.c.hash,
            )
            .select_from(table.outerjoin(events, events.c.position == table.c.position))
            .where(table.c.trial_id == trial_id, table.c.stream_id == MARKER)
        )
        changed = select(table.c.stream_id, table.c.count, table.c.stream_version).where(
            table.c.trial_id == trial_id, table.c.stream_id != MARKER
        )
        async with self._engine.connect() as conn:
            found_markers = (await conn.execute(markers)).all()
            found_changed = (await conn.execute(changed)).all()
        rows: list[tuple[str, int, int, int, str | None]] = [
            (MARKER, count, 0, position, _problem(version, log_hash, hash_))
            for count, position, version, log_hash, hash_ in found_markers
        ]
        rows.extend(
            (stream_id, count, version, 0, None) for stream_id, count, version in found_changed
        )
        rows.sort(key=lambda row: (row[1], row[0]))
        saved = saved_index(trial_id, rows)
        if rows and rows[-1][1] > saved.checkpoints[-1]:
            await self.prune(trial_id, saved.checkpoints[-1])
        return saved

    async def marker(self, trial_id: str, count: int) -> bytes | None:
        table = audit_checkpoints
        query = (
            select(
                table.c.schema_version,
                table.c.log_hash,
                table.c.digest,
                table.c.data,
                events.c.hash,
            )
            .select_from(table.outerjoin(events, events.c.position == table.c.position))
            .where(
                table.c.trial_id == trial_id, table.c.count == count, table.c.stream_id == MARKER
            )
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            ignored(trial_id, MARKER, count, "its row is gone")
            return None
        data = bytes(row.data)
        problem = _problem(row.schema_version, row.log_hash, row.hash)
        if problem is None and digest(data) != row.digest:
            problem = "its digest does not match its bytes"
        if problem is not None:
            ignored(trial_id, MARKER, count, problem)
            return None
        return data

    async def prune(self, trial_id: str, last: int) -> None:
        """Delete the rows past the last marker that checks out: the trial's next build
        reads the log from there and saves its checkpoints again (a marker of an older
        schema ends the index where it stands, so an upgrade's rows go too). The rows the
        index vouches for stay, even one that does not check out: it says its stream
        changed at that checkpoint, and is rebuilt and replaced at the same key."""
        table = audit_checkpoints
        statement = delete(table).where(table.c.trial_id == trial_id, table.c.count > last)
        async with self._engine.begin() as conn:
            pruned = (await conn.execute(statement)).rowcount
        logger.info(
            "pruned %d audit checkpoint rows of trial %s past its last checkpoint that checks"
            " out (%d events): its next build saves them again",
            pruned,
            trial_id,
            last,
        )

    async def save(self, trial_id: str, rows: Sequence[Row]) -> None:
        table = audit_checkpoints
        wanted = {row.position for row in rows}
        async with self._engine.begin() as conn:
            query = select(events.c.position, events.c.hash).where(events.c.position.in_(wanted))
            hashes: dict[int, str] = {row.position: row.hash for row in await conn.execute(query)}
            await conn.execute(
                delete(table).where(*_among(trial_id, [(r.stream_id, r.count) for r in rows]))
            )
            await conn.execute(
                table.insert(),
                [
                    {
                        "trial_id": trial_id,
                        "count": row.count,
                        "stream_id": row.stream_id,
                        "position": row.position,
                        "stream_version": row.stream_version,
                        "schema_version": SCHEMA_VERSION,
                        "log_hash": hashes[row.position],
                        "digest": digest(row.data),
                        "data": row.data,
                        "line": row.line,
                        "line_digest": None if row.line is None else digest(row.line),
                    }
                    for row in rows
                ],
            )

    async def load(self, trial_id: str, keys: Sequence[Key]) -> dict[Key, bytes]:
        table, mismatch = audit_checkpoints, "its digest does not match its bytes"
        return await self._checked(trial_id, keys, table.c.data, table.c.digest, mismatch)

    async def load_lines(self, trial_id: str, keys: Sequence[Key]) -> dict[Key, bytes]:
        table, mismatch = audit_checkpoints, "its line's digest does not match its line"
        return await self._checked(trial_id, keys, table.c.line, table.c.line_digest, mismatch)

    async def _checked(
        self,
        trial_id: str,
        keys: Sequence[Key],
        content: ColumnElement[Any],
        content_digest: ColumnElement[Any],
        mismatch: str,
    ) -> dict[Key, bytes]:
        """``content`` of the rows at ``keys`` that check out (schema version, the log's
        hash at their position, ``content_digest``); the others are logged (``mismatch``
        for a wrong digest) and passed over."""
        table = audit_checkpoints
        found: dict[Key, bytes] = {}
        async with self._engine.connect() as conn:
            for start in range(0, len(keys), LOAD_CHUNK):
                query = (
                    select(
                        table.c.stream_id,
                        table.c.count,
                        table.c.schema_version,
                        table.c.log_hash,
                        content_digest,
                        content,
                        events.c.hash,
                    )
                    .select_from(table.outerjoin(events, events.c.position == table.c.position))
                    .where(*_among(trial_id, keys[start : start + LOAD_CHUNK]))
                    .where(content.is_not(None))
                )
                for stream_id, count, version, log_hash, expected, stored, hash_ in (
                    await conn.execute(query)
                ).all():
                    value = bytes(stored)
                    problem = _problem(version, log_hash, hash_)
                    if problem is None and digest(value) != expected:
                        problem = mismatch
                    if problem is None:
                        found[stream_id, count] = value
                    else:
                        ignored(trial_id, stream_id, count, problem)
        return found

    def forget_in_memory(self) -> None:
        """Nothing: the rows are in the database (the erasure deletes them there)."""


async def drop_audit_checkpoints(engine: AsyncEngine, *, up_to: int | None = None) -> int:
    """Delete the audit checkpoints (of log positions up to ``up_to``, if given): the
    number of rows deleted."""
    table = audit_checkpoints
    statement = delete(table)
    if up_to is not None:
        statement = statement.where(table.c.position <= up_to)
    async with engine.begin() as conn:
        result = await conn.execute(statement)
    return result.rowcount


def _among(trial_id: str, keys: Sequence[Key]) -> tuple[ColumnElement[bool], ...]:
    """The rows of ``trial_id`` at ``keys``, as pairs (a list of counts and one of streams
    would read every stream asked at every count asked: at a million events, the lines of
    a replay's 3,000 motions took 0.3 s to read that way)."""
    table = audit_checkpoints
    return (
        table.c.trial_id == trial_id,
        tuple_(table.c.count, table.c.stream_id).in_([(count, stream) for stream, count in keys]),
    )


def _problem(stored_version: int, log_hash: str, hash_at_position: str | None) -> str | None:
    if stored_version != SCHEMA_VERSION:
        return f"schema version {stored_version}, not {SCHEMA_VERSION}"
    if hash_at_position is None:
        return "the log has no event at its position"
    if hash_at_position != log_hash:
        return "the log's event at its position has another hash"
    return None
