"""Signed checkpoints of the log's head, kept in their own append-only table.

The server signs the head periodically (``concord serve``) and whenever it exports the
log. ``concord verify`` then checks each recorded checkpoint against the chain: a
checkpoint beyond the log's end shows that events were cut off the end, which the chain
alone cannot show. Since migration 0010 each checkpoint also carries a C2SP signed note of
the Merkle tree's size and root (events/merkle.py), which witnesses cosign
(server/audit/witnesses.py); older rows have none and are checked as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from events import GENESIS_HASH, EventStore
from events.canonical import format_timestamp
from events.merkle import Frontier, event_leaf
from server.audit.signed_note import (
    CheckpointBody,
    NoteError,
    log_signature_verifies,
    parse_checkpoint_text,
    parse_note,
)
from server.audit.signing import Checkpoint, SigningKey

logger = logging.getLogger(__name__)

checkpoints_table = Table(
    "checkpoints",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("position", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("signed_at", String(27), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("note", Text, nullable=True),
)


class MerkleRoots(Protocol):
    """The tree kept beside the log (``services.merkle``, events/merkle_store.py)."""

    async def wait_for(self, size: int) -> None:
        """Return once the tree has ``size`` leaves (it follows the log, a moment behind)."""

    async def root(self, size: int) -> bytes:
        """The root of the tree of the first ``size`` positions."""


def default_origin(key: SigningKey) -> str:
    """The log's origin line (and key name): CONCORD_LOG_ORIGIN, else one made unique by
    the server's key id."""
    return os.environ.get("CONCORD_LOG_ORIGIN") or f"concord.local/log/{key.key_id}"


async def log_roots(store: EventStore, sizes: Iterable[int]) -> dict[int, bytes]:
    """The Merkle roots of the log at ``sizes`` (each at most the head), computed from the
    stored hashes in one pass (a size beyond the head is left out)."""
    wanted = sorted(set(sizes))
    frontier = Frontier()
    roots: dict[int, bytes] = {}
    pending = iter(wanted)
    size = next(pending, None)
    while size == 0:
        roots[0], size = frontier.root(), next(pending, None)
    if size is None:
        return roots
    async for page in store.stored_pages(until=max(wanted)):
        for envelope in page:
            frontier.append(event_leaf(envelope.hash))
            while size == frontier.size:
                roots[size], size = frontier.root(), next(pending, None)
            if size is None:
                return roots
    return roots


async def hash_at(store: EventStore, position: int) -> str | None:
    """The stored hash of the event at ``position`` (the genesis hash for 0; None if the
    log has no such position)."""
    if position == 0:
        return GENESIS_HASH
    found = await store.read_stored(after=position - 1, limit=1)
    return found[0].hash if found and found[0].position == position else None


def checkpoint_problem(
    checkpoint: Checkpoint, public_key: Ed25519PublicKey, head: int, hash_there: str | None
) -> tuple[int, str] | None:
    """Where and how the log disagrees with a checkpoint (None if it agrees): the log must
    reach the checkpoint's position and have the signed hash there."""
    if not checkpoint.verifies_with(public_key):
        return checkpoint.position, (
            f"the checkpoint of position {checkpoint.position} signed at {checkpoint.signed_at}"
            " does not verify with the server's public key"
        )
    if checkpoint.position > head:
        return head + 1, (
            f"the log ends at position {head}, but the server signed position"
            f" {checkpoint.position} at {checkpoint.signed_at}: events were cut off the end"
        )
    if hash_there != checkpoint.hash:
        return checkpoint.position, (
            f"the hash at position {checkpoint.position} is not the one the server signed"
            f" at {checkpoint.signed_at}"
        )
    return None


def note_problem(
    checkpoint: Checkpoint, public_key: Ed25519PublicKey, root_there: bytes | None
) -> tuple[int, str] | None:
    """Where and how the log disagrees with a checkpoint's signed note (None if it agrees,
    or if the checkpoint has none): the note must be the server's, of the same size, and
    the log's Merkle root at that size (``root_there``) must be the signed one."""
    if checkpoint.note is None:
        return None
    where = f"the signed note of tree size {checkpoint.position} signed at {checkpoint.signed_at}"
    try:
        note = parse_note(checkpoint.note)
        body = parse_checkpoint_text(note.text)
    except NoteError as error:
        return checkpoint.position, f"{where} is malformed: {error}"
    if body.size != checkpoint.position or not log_signature_verifies(
        note, body.origin, public_key
    ):
        return checkpoint.position, f"{where} does not verify with the server's public key"
    if root_there != body.root:
        return checkpoint.position, (
            f"the log's Merkle root at size {body.size} is not the one the server signed"
            f" at {checkpoint.signed_at}"
        )
    return None


class Checkpoints:
    """Signs the head of ``store`` with ``key`` and records each checkpoint."""

    def __init__(
        self,
        store: EventStore,
        engine: AsyncEngine,
        key: SigningKey,
        now: Callable[[], datetime],
        *,
        tree: MerkleRoots | None = None,
        origin: str | None = None,
    ) -> None:
        """``tree`` answers the Merkle root at a size; without it the root is computed
        from the log (a pass over it: fine for the CLI, slow for a large served log)."""
        self._store = store
        self._engine = engine
        self.key = key
        self._now = now
        self._tree = tree
        self._origin = origin

    @property
    def engine(self) -> AsyncEngine:
        """The database the checkpoints (and the witnesses' cosignatures) are kept in."""
        return self._engine

    @property
    def now(self) -> Callable[[], datetime]:
        return self._now

    @property
    def origin(self) -> str:
        return self._origin or default_origin(self.key)

    async def root(self, size: int) -> bytes:
        """The Merkle root of the log's first ``size`` events."""
        if self._tree is not None:
            await self._tree.wait_for(size)
            return await self._tree.root(size)
        return (await log_roots(self._store, [size]))[size]

    async def sign_head(self) -> Checkpoint:
        """Sign the log's current head (its hash, and its Merkle root as a C2SP signed
        note), record the checkpoint and return it."""
        head = await self._store.head_position()
        hash_ = await hash_at(self._store, head)
        assert hash_ is not None  # the head exists, and positions are never removed
        note = self.key.sign_note(CheckpointBody(self.origin, head, await self.root(head)))
        checkpoint = replace(self.key.sign(head, hash_, format_timestamp(self._now())), note=note)
        async with self._engine.begin() as connection:
            await connection.execute(insert(checkpoints_table).values(**checkpoint.to_json()))
        return checkpoint

    async def latest_note(self) -> Checkpoint | None:
        """The most recent checkpoint that carries a signed note (None before any)."""
        query = (
            select(*self._columns())
            .where(checkpoints_table.c.note.is_not(None))
            .order_by(checkpoints_table.c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else Checkpoint(*row)

    async def note_of_size(self, size: int) -> Checkpoint | None:
        """A checkpoint of tree size ``size`` with a signed note (every one of a size has
        the same note: Ed25519 signs deterministically), or None."""
        query = (
            select(*self._columns())
            .where(checkpoints_table.c.note.is_not(None), checkpoints_table.c.position == size)
            .order_by(checkpoints_table.c.id)
            .limit(1)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else Checkpoint(*row)

    @staticmethod
    def _columns() -> list[Column[Any]]:
        return [checkpoints_table.c[name] for name in Checkpoint.__slots__]

    async def recorded(self) -> list[Checkpoint]:
        """Every recorded checkpoint, oldest first."""
        query = select(*self._columns()).order_by(checkpoints_table.c.id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [Checkpoint(*row) for row in rows]

    async def sign_every(self, seconds: float) -> None:
        """Sign the head every ``seconds`` while the log grows (runs until cancelled)."""
        signed = -1
        while True:
            await asyncio.sleep(seconds)
            try:
                if await self._store.head_position() != signed:
                    signed = (await self.sign_head()).position
            except Exception:
                logger.exception("could not sign a checkpoint; trying again later")
