"""Witnesses: who must cosign the log's checkpoints, and the cosignatures they posted.

A witness is known to this server when a trial's charter names it (its key name and
Ed25519 public key, ``domain.charter.Witness``): the trial's own governance decides whom
it trusts, and the charter's amendments are in the log like every other decision. The
server stores a cosignature only if it verifies with the key a charter gives for that
name (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``); ``concord verify`` checks
each stored one again and that every witness a charter requires has cosigned a
checkpoint that includes the event that made it required.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from events import EventStore, RecordedEvent
from events.canonical import format_timestamp
from server.audit.signed_note import (
    COSIGNATURE_V1,
    NoteError,
    NoteSignature,
    cosignature_timestamp,
    cosignature_verifies,
    key_id,
    parse_note,
    parse_signature_line,
    public_key_from_raw,
)
from server.audit.signing import Checkpoint
from server.http.problems import Problem

cosignatures_table = Table(
    "cosignatures",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tree_size", BigInteger, nullable=False),
    Column("witness", String(200), nullable=False),
    Column("key_id", String(8), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("signature", String(128), nullable=False),
    Column("received_at", String(27), nullable=False),
)

CHARTER_EVENTS = ("TrialCreated", "CharterAmended")
FUTURE_LEEWAY_SECONDS = 300
"""How far ahead of the server's clock a cosignature's time may be (clocks differ)."""


@dataclass(frozen=True, slots=True)
class RequiredWitness:
    """A witness a trial's current charter names, and since when (the position of the
    charter event from which on it has been named with this key)."""

    trial_id: str
    name: str
    public_key: Ed25519PublicKey
    since: int

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, COSIGNATURE_V1, self.public_key)


class _Charters:
    """The witnesses each trial's charter names, folded from the charter events up to
    ``position``; kept per store so a cosignature's check reads only the newer events."""

    def __init__(self) -> None:
        self.position = 0
        self.applied: dict[str, int] = {}
        """Per trial, the position of the last charter event folded."""
        self.named: dict[str, dict[tuple[str, str], int]] = {}
        self.lock = asyncio.Lock()

    def fold(self, event: RecordedEvent) -> None:
        trial_id = event.data.get("trial_id")
        charter = event.data.get("charter")
        if not isinstance(trial_id, str) or not isinstance(charter, dict):
            return
        if event.position <= self.applied.get(trial_id, 0):
            return  # read again in the margin below
        before = self.named.get(trial_id, {})
        named: dict[tuple[str, str], int] = {}
        for witness in charter.get("witnesses") or ():
            pair = (str(witness["name"]), str(witness["public_key"]))
            named[pair] = before.get(pair, event.position)
        self.named[trial_id] = named
        self.applied[trial_id] = event.position


_charters: WeakKeyDictionary[EventStore, _Charters] = WeakKeyDictionary()
REREAD_MARGIN = 1000
"""Positions read again each time: an event committed after a later position was read
(PostgreSQL commits concurrent appends in any order) is still folded."""


async def required_witnesses(store: EventStore) -> list[RequiredWitness]:
    """Every witness the trials' current charters name (read from the charter events)."""
    charters = _charters.setdefault(store, _Charters())
    async with charters.lock:
        head = await store.head_position()
        after = max(0, charters.position - REREAD_MARGIN)
        async for page in store.pages(after=after, until=head, types=CHARTER_EVENTS):
            for event in page:
                charters.fold(event)
        charters.position = max(charters.position, head)
        current = sorted((trial, dict(named)) for trial, named in charters.named.items())
    found = []
    for trial_id, named in current:
        for (name, key), since in named.items():
            raw = base64.b64decode(key)
            found.append(RequiredWitness(trial_id, name, public_key_from_raw(raw), since))
    return found


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """A cosignature as the server keeps it."""

    tree_size: int
    witness: str
    key_id: str
    """Hex of the 4-byte key ID."""
    timestamp: int
    signature: str
    """Base64 of what follows the name on the signature line (key ID, time, signature)."""
    received_at: str

    def note_signature(self) -> NoteSignature:
        return NoteSignature(self.witness, base64.b64decode(self.signature))


class Cosignatures:
    """The cosignatures table: witnesses' cosignatures of checkpoints, append-only."""

    def __init__(self, store: EventStore, engine: AsyncEngine, now: Callable[[], datetime]):
        self._store = store
        self._engine = engine
        self._now = now

    async def add(self, checkpoint: Checkpoint, line: str) -> StoredCosignature:
        """Check ``line`` (``— <name> <base64>``) as a cosignature of ``checkpoint``'s note
        by a witness a charter names, and store it; a Problem says why it is refused."""
        assert checkpoint.note is not None
        try:
            signature = parse_signature_line(line)
            timestamp = cosignature_timestamp(signature)
        except NoteError as error:
            raise Problem(422, "malformed-cosignature", str(error)) from None
        known = [
            w
            for w in await required_witnesses(self._store)
            if w.name == signature.name and w.key_id == signature.key_id
        ]
        if not known:
            raise Problem(
                403,
                "unknown-witness",
                f"no trial's charter names a witness {signature.name!r} with key ID"
                f" {signature.key_id.hex()}; a trial admin amends the charter to add one",
            )
        text = parse_note(checkpoint.note).text
        if not cosignature_verifies(text, signature, known[0].public_key):
            raise Problem(
                422,
                "cosignature-does-not-verify",
                f"the cosignature of {signature.name} does not verify over the checkpoint of"
                f" tree size {checkpoint.position} with the key its charter names",
            )
        now = self._now()
        if timestamp > now.timestamp() + FUTURE_LEEWAY_SECONDS:
            raise Problem(
                422,
                "cosignature-from-the-future",
                f"the cosignature's time {timestamp} is ahead of the server's clock",
            )
        stored = StoredCosignature(
            checkpoint.position,
            signature.name,
            signature.key_id.hex(),
            timestamp,
            base64.b64encode(signature.data).decode(),
            format_timestamp(now),
        )
        try:
            async with self._engine.begin() as connection:
                await connection.execute(
                    insert(cosignatures_table).values(
                        tree_size=stored.tree_size,
                        witness=stored.witness,
                        key_id=stored.key_id,
                        timestamp=stored.timestamp,
                        signature=stored.signature,
                        received_at=stored.received_at,
                    )
                )
        except IntegrityError:
            raise Problem(
                409,
                "already-cosigned",
                f"{signature.name} has already cosigned the checkpoint of tree size"
                f" {checkpoint.position}",
            ) from None
        return stored

    async def recorded(self, tree_size: int | None = None) -> list[StoredCosignature]:
        """Every stored cosignature (of one tree size, if given), oldest first."""
        columns = [cosignatures_table.c[name] for name in StoredCosignature.__slots__]
        query = select(*columns).order_by(cosignatures_table.c.id)
        if tree_size is not None:
            query = query.where(cosignatures_table.c.tree_size == tree_size)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [StoredCosignature(*row) for row in rows]
