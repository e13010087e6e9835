"""The report's integrity check, at the cost of the trial, not of the log.

Before the report reads the trial, the server signs the log's head (as every export does):
a checkpoint with its C2SP signed note of the Merkle tree's size and root. The check then
holds the report's events to it: the checkpoint verifies with the server's public key,
the log has the signed hash at its position and the signed root at its size; each of the
trial's events, by its recorded hash and its inclusion proof, is a leaf of that signed
tree at its position; and each of the trial's streams runs 1, 2, 3, … without a gap.

What it leaves to ``concord verify`` (the database) and ``concord verify FILE`` (the JSON
Lines export): recomputing each event's hash from its content and the chain's links
through the other trials' events, which cost the whole log."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives import serialization

from events import EventStore, RecordedEvent
from events.merkle import event_leaf, verify_inclusion
from server.audit.checkpoints import Checkpoints, checkpoint_problem, hash_at, note_problem
from server.audit.signed_note import parse_checkpoint_text, parse_note
from server.audit.signing import Checkpoint


class InclusionProofs(Protocol):
    """The Merkle tree kept beside the log (events/merkle_store.py's MerkleTree)."""

    async def root(self, size: int) -> bytes:
        """The root of the tree of the first ``size`` positions."""
        ...

    async def inclusions(self, positions: Sequence[int], size: int) -> dict[int, list[bytes]]:
        """The audit path of each position in the tree of ``size`` positions."""
        ...


@dataclass(frozen=True, slots=True)
class Integrity:
    """What the check found, and what an inspector needs to repeat it."""

    checkpoint: Checkpoint
    origin: str
    key_id: str
    fingerprint: str
    """SHA-256 of the raw 32-byte public key, in hex (its first 16 digits are the key id)."""
    public_key_pem: str
    proved: int
    """The trial's events whose inclusion proof led to the signed root."""
    streams: int
    problem: str | None = None
    """None when everything held; else the first thing that did not."""

    def summary(self) -> str:
        """One sentence: the result."""
        if self.problem is not None:
            return f"NOT VERIFIED: {self.problem}"
        return (
            f"Verified: all {self.proved:,} of the trial's events are in the log the server"
            f" signed at size {self.checkpoint.position:,}, each at its position; the"
            f" trial's {self.streams:,} records run without a gap."
        )


class IntegrityCheck:
    """Fed the trial's events page by page (in log order) after :meth:`signed`."""

    def __init__(self, checkpoints: Checkpoints, proofs: InclusionProofs) -> None:
        self._checkpoints = checkpoints
        self._proofs = proofs
        self._root = b""
        self._checkpoint: Checkpoint | None = None
        self._versions: dict[str, int] = {}
        self._proved = 0
        self._problem: str | None = None

    async def signed(self, store: EventStore) -> Checkpoint:
        """Sign the head, check the checkpoint against the log, and return it: the report
        reads the trial up to its position."""
        checkpoints = self._checkpoints
        checkpoint = await checkpoints.sign_head()
        size, public_key = checkpoint.position, checkpoints.key.public_key
        root_there = await self._proofs.root(size)
        bad = checkpoint_problem(
            checkpoint, public_key, size, await hash_at(store, size)
        ) or note_problem(checkpoint, public_key, root_there)
        self._problem = None if bad is None else bad[1]
        note = checkpoint.note
        # the root proofs must lead to: the signed one (a checkpoint always has a note now)
        self._root = (
            root_there if note is None else parse_checkpoint_text(parse_note(note).text).root
        )
        self._checkpoint = checkpoint
        return checkpoint

    async def feed(self, page: Sequence[RecordedEvent]) -> None:
        if self._problem is not None or self._checkpoint is None:
            return
        for event in page:
            expected = self._versions.get(event.stream_id, 0) + 1
            if event.stream_version != expected:
                self._problem = (
                    f"record {event.stream_id} jumps from version {expected - 1} to"
                    f" {event.stream_version} at position {event.position}: an event is missing"
                )
                return
            self._versions[event.stream_id] = expected
        size = self._checkpoint.position
        paths = await self._proofs.inclusions([e.position for e in page], size)
        unproved = await asyncio.to_thread(_first_unproved, page, paths, size, self._root)
        if unproved is not None:
            self._problem = (
                f"the inclusion proof of the event at position {unproved.position}"
                f" ({unproved.stream_id}, version {unproved.stream_version}) does not lead to"
                " the signed root: the log's stored hashes are not those the server signed"
            )
            return
        self._proved += len(page)

    def result(self) -> Integrity:
        checkpoint = self._checkpoint
        assert checkpoint is not None, "signed() comes first"
        key = self._checkpoints.key
        raw = key.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return Integrity(
            checkpoint=checkpoint,
            origin=self._checkpoints.origin,
            key_id=key.key_id,
            fingerprint=hashlib.sha256(raw).hexdigest(),
            public_key_pem=key.public_key_pem(),
            proved=self._proved,
            streams=len(self._versions),
            problem=self._problem,
        )


def _first_unproved(
    page: Sequence[RecordedEvent], paths: dict[int, list[bytes]], size: int, root: bytes
) -> RecordedEvent | None:
    for event in page:
        leaf = event_leaf(event.hash)
        if not verify_inclusion(event.position - 1, size, leaf, paths[event.position], root):
            return event
    return None
