"""Personal data in the log, sealed under per-subject keys that can be erased.

A value the caller marks personal is stored in the event's data as an *envelope*:

    {"personal": "v1", "subject": "user:u-1", "key": "k-…", "nonce": "…", "ciphertext": "…"}

the value's JSON text encrypted with AES-256-GCM (``cryptography``) under a key of its
subject, with a random 96-bit nonce, and the associated data binding the ciphertext to
its subject, key id and field (so it cannot be moved to another person or field). The
keys live in the table ``personal_data_keys`` (migration 0011), beside the log and never
in it, never logged and never exported. The hash chain and the Merkle tree cover the
envelope, as stored.

When the store reads an event (:func:`events.reading.decode`), each envelope is replaced
by the value it holds, or by :data:`ERASED` once its key is erased, so every consumer of
decoded events (projections, views, the audit, exports of decoded events) sees the same.
Reading the rows as stored (verification, the JSON Lines export) keeps the envelopes.

The store knows no event types: which fields are personal, and whose, is the caller's
to say (:meth:`PersonalKeys.seal`).
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, Connection, LargeBinary, MetaData, String, Table, select, update

from events.canonical import format_timestamp
from events.envelope import NewEvent, StreamAppend

T = TypeVar("T")
Run = Callable[[Callable[[Connection], T]], Awaitable[T]]
Policy = Callable[[str, Mapping[str, Any]], Iterable[tuple[str, str]]]
"""``(event type, data)`` -> the ``(path, subject)`` of each personal value in it."""

VERSION = "v1"
MARK = '"personal":"v1"'
"""In the canonical text of every event's data that holds an envelope (keys sorted, no
spaces): a data text without it is decoded as before, at the cost of one search."""
ERASED = "[erased]"
"""What a sealed value reads as once its key is erased."""
UNREADABLE = "[unreadable]"
"""What a sealed value reads as when its key does not open it (a damaged row: the hash
chain says which)."""

personal_data_keys = Table(
    "personal_data_keys",
    MetaData(),
    Column("key_id", String(40), primary_key=True),
    Column("subject_id", String(200), nullable=False),
    Column("key", LargeBinary, nullable=True),
    Column("created_at", String(27), nullable=False),
    Column("erased_at", String(27), nullable=True),
)


def _aad(subject: str, key_id: str, path: str) -> bytes:
    return f"concord personal data {VERSION}\x00{subject}\x00{key_id}\x00{path}".encode()


def is_envelope(value: object) -> bool:
    """Whether ``value`` is a sealed value's envelope."""
    return isinstance(value, dict) and value.get("personal") == VERSION


class PersonalKeys:
    """The keys of the people whose data the log holds: made on first use, kept in
    memory once read, erased for good. ``run`` runs a function on a connection of the
    store's database (it commits what it writes)."""

    def __init__(self, run: Run[Any], *, clock: Callable[[], datetime] | None = None) -> None:
        self._run = run
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ciphers: dict[str, AESGCM | None] = {}
        """Key id -> its cipher, or None once erased (or never stored)."""
        self._subject_of: dict[str, str] = {}
        self._current: dict[str, str] = {}
        """Subject -> the key id new values are sealed with."""
        self._making: asyncio.Lock | None = None
        self._erased_until: dict[str, str] = {}
        """Subject -> when its erasure was recorded (:meth:`forget`)."""
        self.policy: Policy | None = None
        """Which fields of an event are personal, and whose: set by whoever knows the
        event types (the server); None seals nothing."""

    async def sealed(self, *streams: StreamAppend) -> tuple[StreamAppend, ...]:
        """``streams`` with the personal fields of their events sealed, as
        :attr:`policy` names them (unchanged without a policy)."""
        if self.policy is None:
            return streams
        return tuple(
            [replace(append, events=await self.sealed_events(append.events)) for append in streams]
        )

    async def sealed_events(self, events: Sequence[NewEvent]) -> list[NewEvent]:
        """``events`` with their personal fields sealed, as :attr:`policy` names them."""
        policy = self.policy
        if policy is None:
            return list(events)
        sealed = []
        for event in events:
            fields = list(policy(event.type, event.data))
            sealed.append(
                replace(event, data=await self.seal(event.data, fields)) if fields else event
            )
        return sealed

    async def seal(
        self, data: Mapping[str, Any], fields: Iterable[tuple[str, str]]
    ) -> dict[str, Any]:
        """A copy of ``data`` whose fields at each ``(path, subject)`` (a dotted path of
        object members) hold the value sealed under ``subject``'s current key (made now if
        the subject has none). A path that is absent, null or already sealed stays."""
        sealed = dict(data)
        for path, subject in fields:
            *parents, name = path.split(".")
            holder = _copied_holder(sealed, parents)
            if holder is None or holder.get(name) is None or is_envelope(holder[name]):
                continue
            key_id, cipher = await self._current_key(subject)
            nonce = os.urandom(12)
            plaintext = msgspec.json.encode(holder[name])
            ciphertext = cipher.encrypt(nonce, plaintext, _aad(subject, key_id, path))
            holder[name] = {
                "personal": VERSION,
                "subject": subject,
                "key": key_id,
                "nonce": base64.b64encode(nonce).decode("ascii"),
                "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
            }
        return sealed

    def reveal(self, data: dict[str, Any], conn: Connection | None = None) -> dict[str, Any]:
        """``data`` (freshly decoded: changed in place) with each envelope replaced by its
        value, or :data:`ERASED`. A key not in memory is read on ``conn``; without one (an
        event this process just wrote, whose key it holds) it reads as erased."""
        self._reveal_in(data, "", conn)
        return data

    def _reveal_in(self, holder: dict[str, Any], prefix: str, conn: Connection | None) -> None:
        for name, value in holder.items():
            if isinstance(value, dict):
                path = prefix + name
                if value.get("personal") == VERSION:
                    holder[name] = self._open(value, path, conn)
                else:
                    self._reveal_in(value, path + ".", conn)

    def _open(self, envelope: dict[str, Any], path: str, conn: Connection | None) -> Any:
        key_id, subject = envelope.get("key"), envelope.get("subject")
        if not isinstance(key_id, str) or not isinstance(subject, str):
            return UNREADABLE
        if key_id not in self._ciphers:
            if conn is None:
                return ERASED
            key, created_at = _read_key(conn, key_id)
            self._remember(key_id, subject, key if self._usable(subject, created_at) else None)
        cipher = self._ciphers[key_id]
        if cipher is None:
            return ERASED
        try:
            nonce = base64.b64decode(envelope["nonce"])
            ciphertext = base64.b64decode(envelope["ciphertext"])
            plaintext = cipher.decrypt(nonce, ciphertext, _aad(subject, key_id, path))
            return msgspec.json.decode(plaintext)
        except (InvalidTag, KeyError, ValueError, TypeError):
            return UNREADABLE

    async def erase(self, subjects: Iterable[str], *, made_until: str | None = None) -> int:
        """Erase every key of ``subjects`` for good (the row keeps its id, subject and
        times; its key becomes NULL): what was sealed under them reads as erased from
        now on. With ``made_until`` (a ``recorded_at`` text: the erasure's), only the keys
        made up to then: another process may already seal what it records since under a
        new key. Returns how many keys were erased (0 when already done)."""
        wanted = sorted(set(subjects))
        erased_at = format_timestamp(self._clock())
        until = made_until or erased_at

        def erase(conn: Connection) -> int:
            result = conn.execute(
                update(personal_data_keys)
                .where(
                    personal_data_keys.c.subject_id.in_(wanted),
                    personal_data_keys.c.key.is_not(None),
                    personal_data_keys.c.created_at <= until,
                )
                .values(key=None, erased_at=erased_at)
            )
            conn.commit()
            return result.rowcount

        count: int = await self._run(erase)
        self.forget(wanted, at=until)
        return count

    def forget(self, subjects: Iterable[str], *, at: str | None = None) -> None:
        """Treat every key of ``subjects`` this process holds as erased (another process
        recorded their erasure at ``at``, the event's ``recorded_at`` text): keys of theirs
        made up to then and read later count as erased too, even before that process has
        erased them in the table; keys made after it (what is recorded about them since)
        do not."""
        gone = set(subjects)
        if at is not None:
            for subject in gone:
                self._erased_until[subject] = max(at, self._erased_until.get(subject, ""))
        for key_id, subject in list(self._subject_of.items()):
            if subject in gone:
                self._ciphers[key_id] = None
        for subject in gone:
            self._current.pop(subject, None)

    async def rotate(self, subject: str) -> str:
        """Give ``subject`` a new key for what is sealed from now on; values sealed before
        stay under their key (stored rows are never rewritten). Returns the new key id."""
        key_id, _ = await self._run_locked(subject, rotate=True)
        return key_id

    async def _current_key(self, subject: str) -> tuple[str, AESGCM]:
        key_id = self._current.get(subject)
        if key_id is not None:
            cipher = self._ciphers.get(key_id)
            if cipher is not None:
                return key_id, cipher
        return await self._run_locked(subject, rotate=False)

    async def _run_locked(self, subject: str, *, rotate: bool) -> tuple[str, AESGCM]:
        if self._making is None:
            self._making = asyncio.Lock()
        async with self._making:  # one process makes a subject's first key once
            key_id = self._current.get(subject)
            cipher = self._ciphers.get(key_id) if key_id is not None else None
            if cipher is not None and key_id is not None and not rotate:
                return key_id, cipher
            created_at = format_timestamp(self._clock())
            after = self._erased_until.get(subject, "")
            key_id, key = await self._run(
                lambda conn: _key_of(conn, subject, created_at, rotate=rotate, after=after)
            )
            self._remember(key_id, subject, key)
            self._current[subject] = key_id
            cipher = self._ciphers[key_id]
            assert cipher is not None
            return key_id, cipher

    def _usable(self, subject: str, created_at: str | None) -> bool:
        erased_until = self._erased_until.get(subject)
        return erased_until is None or (created_at or "") > erased_until

    def _remember(self, key_id: str, subject: str, key: bytes | None) -> None:
        self._ciphers[key_id] = AESGCM(key) if key is not None else None
        self._subject_of[key_id] = subject


def _copied_holder(data: dict[str, Any], parents: list[str]) -> dict[str, Any] | None:
    """The object at ``parents`` in ``data``, each object on the way copied (the
    caller's data is not changed), or None if one of them is not an object."""
    holder = data
    for parent in parents:
        child = holder.get(parent)
        if not isinstance(child, dict):
            return None
        holder[parent] = holder = dict(child)
    return holder


def _read_key(conn: Connection, key_id: str) -> tuple[bytes | None, str | None]:
    """The key (None once erased, or if there is no such row) and when it was made."""
    keys = personal_data_keys.c
    row = conn.execute(select(keys.key, keys.created_at).where(keys.key_id == key_id)).first()
    return (None, None) if row is None else (row[0], row[1])


def _key_of(
    conn: Connection, subject: str, created_at: str, *, rotate: bool, after: str
) -> tuple[str, bytes]:
    """The subject's newest key not erased and made after ``after``, or (none, or
    ``rotate``) a new one, stored."""
    if not rotate:
        row = conn.execute(
            select(personal_data_keys.c.key_id, personal_data_keys.c.key)
            .where(
                personal_data_keys.c.subject_id == subject,
                personal_data_keys.c.key.is_not(None),
                personal_data_keys.c.created_at > after,
            )
            .order_by(personal_data_keys.c.created_at.desc(), personal_data_keys.c.key_id)
            .limit(1)
        ).first()
        if row is not None:
            return row[0], bytes(row[1])
    key_id, key = "k-" + secrets.token_hex(16), AESGCM.generate_key(bit_length=256)
    conn.execute(
        personal_data_keys.insert().values(
            key_id=key_id, subject_id=subject, key=key, created_at=created_at
        )
    )
    conn.commit()
    return key_id, key
