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

from events import EventStore, RecordedEvent, merkle
from events.merkle import Node, event_leaf, verify_inclusion
from server.audit.checkpoints import Checkpoints, checkpoint_problem, hash_at, note_problem
from server.audit.loop_share import LoopShare
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

    async def nodes(self, wanted: Sequence[Node], size: int) -> dict[Node, bytes]:
        """The hashes of these complete subtrees of the tree of ``size`` positions."""
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
        self._left = _LeftPart()
        self._proved = 0
        self._problem: str | None = None
        self._share = LoopShare()

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
        """Check a page of the trial's events: their streams' versions, and their leaves
        added to the signed tree's left part (the subtrees between them read from the
        tree), compared with the tree's own nodes of that part."""
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
        size, covered = self._checkpoint.position, page[-1].position
        gaps = _gap_nodes(self._left.size, [e.position - 1 for e in page])
        prefix = merkle.complete_nodes(0, covered)
        known = await self._proofs.nodes(list(dict.fromkeys([*gaps, *prefix])), size)
        left = self._left
        for event in page:  # two hashes an event, on the event loop, in slices
            if not left.add_event(event, known):
                await self._name_unproved(page)
                return
            await self._share.turn()
        if left.nodes() != [known[node] for node in prefix]:
            await self._name_unproved(page)
            return
        self._proved += len(page)

    async def finish(self) -> None:
        """After the last page: the leaves after the trial's last event, then the root the
        trial's leaves and the subtrees between them make, against the signed one."""
        checkpoint = self._checkpoint
        if self._problem is not None or checkpoint is None:
            return
        size, left = checkpoint.position, self._left
        rest = _gap_nodes(left.size, [size]) if left.size < size else []
        known = await self._proofs.nodes(rest, size) if rest else {}
        for level, index in rest:
            left.add(level, index, known[(level, index)])
        if merkle.fold(left.nodes()) != self._root:
            self._problem = (
                "the trial's events and the subtrees between them do not lead to the signed"
                " root: the log's stored hashes are not those the server signed"
            )

    async def _name_unproved(self, page: Sequence[RecordedEvent]) -> None:
        """The page's leaves do not make the tree's nodes: find the first event whose own
        inclusion proof fails (what an inspector can check again, one event at a time)."""
        size = self._checkpoint.position if self._checkpoint is not None else 0
        paths = await self._proofs.inclusions([e.position for e in page], size)
        unproved = await asyncio.to_thread(_first_unproved, page, paths, size, self._root)
        if unproved is None:
            self._problem = (
                f"the events at positions {page[0].position} to {page[-1].position} do not"
                " make the Merkle tree's nodes there, though each one's proof holds"
            )
            return
        self._problem = (
            f"the inclusion proof of the event at position {unproved.position}"
            f" ({unproved.stream_id}, version {unproved.stream_version}) does not lead to"
            " the signed root: the log's stored hashes are not those the server signed"
        )

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


class _LeftPart:
    """The leaves ``0 .. size - 1`` of the tree as its complete subtrees, largest first
    (RFC 9162: the tree of ``size`` leaves is their right fold): a leaf or a subtree added
    at the right merges with its equal neighbour, so checking n leaves costs about 2n
    hashes, against n * log n for n inclusion proofs."""

    __slots__ = ("_hashes", "_levels", "size")

    def __init__(self) -> None:
        self._levels: list[int] = []
        self._hashes: list[bytes] = []
        self.size = 0

    def add(self, level: int, index: int, value: bytes) -> None:
        """The complete subtree (``level``, ``index``), which must start at ``size``."""
        if index << level != self.size:
            raise ValueError(f"node {(level, index)} does not start at leaf {self.size}")
        self.size += 1 << level
        levels, hashes = self._levels, self._hashes
        while levels and levels[-1] == level:
            levels.pop()
            value = merkle.node_hash(hashes.pop(), value)
            level += 1
        levels.append(level)
        hashes.append(value)

    def add_page(self, page: Sequence[RecordedEvent], known: dict[Node, bytes]) -> bool:
        """Each event's leaf (:meth:`add_event`); False at the first that is not added."""
        return all(self.add_event(event, known) for event in page)

    def add_event(self, event: RecordedEvent, known: dict[Node, bytes]) -> bool:
        """The event's leaf, after the subtrees before it (``known``); False if it is not
        at the next free leaf (a log that lacks a position)."""
        index = event.position - 1
        if index < self.size:
            return False
        for level, at in _gap_nodes(self.size, [index]):
            self.add(level, at, known[(level, at)])
        self.add(0, index, event_leaf(event.hash))
        return True

    def nodes(self) -> list[bytes]:
        return list(self._hashes)


def _gap_nodes(start: int, leaves: Sequence[int]) -> list[Node]:
    """The complete subtrees that cover the leaves from ``start`` to each of ``leaves``
    (increasing) but not them: what lies between a trial's events."""
    nodes: list[Node] = []
    for leaf in leaves:
        while start < leaf:
            level = min(
                (start & -start).bit_length() - 1 if start else 63, (leaf - start).bit_length() - 1
            )
            nodes.append((level, start >> level))
            start += 1 << level
        start = leaf + 1
    return nodes


def _first_unproved(
    page: Sequence[RecordedEvent], paths: dict[int, list[bytes]], size: int, root: bytes
) -> RecordedEvent | None:
    for event in page:
        leaf = event_leaf(event.hash)
        if not verify_inclusion(event.position - 1, size, leaf, paths[event.position], root):
            return event
    return None
