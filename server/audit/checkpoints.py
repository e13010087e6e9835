"""Signed checkpoints of the log's head, kept in their own append-only table.

The server signs the head periodically (``concord serve``) and whenever it exports the
log. ``concord verify`` then checks each recorded checkpoint against the chain: a
checkpoint beyond the log's end shows that events were cut off the end, which the chain
alone cannot show.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from events import GENESIS_HASH, EventStore
from events.canonical import format_timestamp
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
)


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


class Checkpoints:
    """Signs the head of ``store`` with ``key`` and records each checkpoint."""

    def __init__(
        self,
        store: EventStore,
        engine: AsyncEngine,
        key: SigningKey,
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._engine = engine
        self.key = key
        self._now = now

    async def sign_head(self) -> Checkpoint:
        """Sign the log's current head, record the checkpoint and return it."""
        head = await self._store.head_position()
        hash_ = await hash_at(self._store, head)
        assert hash_ is not None  # the head exists, and positions are never removed
        checkpoint = self.key.sign(head, hash_, format_timestamp(self._now()))
        async with self._engine.begin() as connection:
            await connection.execute(insert(checkpoints_table).values(**checkpoint.to_json()))
        return checkpoint

    async def recorded(self) -> list[Checkpoint]:
        """Every recorded checkpoint, oldest first."""
        columns = [checkpoints_table.c[name] for name in Checkpoint.__slots__]
        query = select(*columns).order_by(checkpoints_table.c.id)
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
