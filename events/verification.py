"""Recomputing the hash chain: the same check for the database and for an export."""

from __future__ import annotations

from dataclasses import dataclass

from events.canonical import GENESIS_HASH, envelope_hash


@dataclass(frozen=True, slots=True)
class StoredEnvelope:
    """One event exactly as stored: the text the hash covers, before any decoding."""

    position: int
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    data_json: str
    meta_json: str
    recorded_at: str
    prev_hash: str
    hash: str

    def computed_hash(self) -> str:
        """The hash this envelope should carry, given its own ``prev_hash``."""
        return envelope_hash(
            position=self.position,
            stream_id=self.stream_id,
            stream_version=self.stream_version,
            type=self.type,
            schema_version=self.schema_version,
            data_json=self.data_json,
            meta_json=self.meta_json,
            recorded_at=self.recorded_at,
            prev_hash=self.prev_hash,
        )


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """What a verification found. ``first_bad_position`` is None when the chain holds."""

    checked: int
    head_position: int
    head_hash: str
    first_bad_position: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_position is None


class ChainVerifier:
    """Feed envelopes in log order; stops at the first one that breaks the chain.

    It catches a changed byte (hash mismatch), a deleted or inserted event (position gap
    or ``prev_hash`` mismatch) and a reordering (``prev_hash`` mismatch).
    """

    def __init__(self, *, after_position: int = 0, after_hash: str = GENESIS_HASH) -> None:
        self._position = after_position
        self._hash = after_hash
        self._checked = 0
        self._bad: tuple[int, str] | None = None

    @property
    def broken(self) -> bool:
        return self._bad is not None

    def feed(self, envelope: StoredEnvelope) -> bool:
        """Check one envelope; return False once the chain is broken (further input is ignored)."""
        if not self._links(envelope.position, envelope.prev_hash):
            return False
        if envelope.computed_hash() != envelope.hash:
            self._bad = (envelope.position, "hash does not match the event's content")
            return False
        self._advance(envelope.position, envelope.hash)
        return True

    def feed_link(self, position: int, prev_hash: str, hash_: str) -> bool:
        """Check an event whose content is withheld (a redacted line of an export): its
        position and its link to the previous hash are checked, its own hash is taken as
        given. Return False once the chain is broken."""
        if not self._links(position, prev_hash):
            return False
        self._advance(position, hash_)
        return True

    def _links(self, position: int, prev_hash: str) -> bool:
        if self._bad is not None:
            return False
        expected_position = self._position + 1
        if position != expected_position:
            self._bad = (
                expected_position,
                f"expected position {expected_position}, found {position}",
            )
            return False
        if prev_hash != self._hash:
            self._bad = (position, "prev_hash does not match the previous event's hash")
            return False
        return True

    def _advance(self, position: int, hash_: str) -> None:
        self._position = position
        self._hash = hash_
        self._checked += 1

    def report(self) -> VerificationReport:
        bad_position, problem = self._bad if self._bad is not None else (None, None)
        return VerificationReport(
            checked=self._checked,
            head_position=self._position,
            head_hash=self._hash,
            first_bad_position=bad_position,
            problem=problem,
        )
