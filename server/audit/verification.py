"""Verifying the log in the database: the hash chain, then every signed checkpoint
against it (and each checkpoint's signed note against the Merkle tree of the log), then
the witnesses' cosignatures and the witnesses the charters require. ``concord verify`` and
``GET /api/trials/{id}/audit/verification`` both ask :func:`verify_log`; with
``?progress=true`` the answer comes as JSON lines, the progress first
(:func:`verification_progress`), so a page can show how far a long check is."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events import EventStore
from server.audit.checkpoints import (
    Checkpoints,
    checkpoint_problem,
    hash_at,
    log_roots,
    note_problem,
)
from server.audit.signed_note import cosignature_verifies, parse_note
from server.audit.signing import Checkpoint
from server.audit.witnesses import (
    Cosignatures,
    RequiredWitness,
    StoredCosignature,
    required_witnesses,
)


@dataclass(frozen=True, slots=True)
class CosignedCheckpoint:
    """A checkpoint and the witnesses whose cosignatures of it verify."""

    tree_size: int
    witnesses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LogVerification:
    """What verifying the log found. ``first_bad_position`` is None when all holds."""

    checked: int
    head_position: int
    head_hash: str
    checkpoints: int
    first_bad_position: int | None = None
    problem: str | None = None
    cosigned: tuple[CosignedCheckpoint, ...] = ()
    """Each checkpoint that carries verifying cosignatures, oldest first."""

    @property
    def ok(self) -> bool:
        return self.first_bad_position is None and self.problem is None

    def summary(self) -> str:
        """One line, as ``concord verify`` prints it."""
        if self.first_bad_position is not None:
            return f"BROKEN at position {self.first_bad_position}: {self.problem}"
        if self.problem is not None:
            return self.problem
        found = (
            f"ok: {self.checked} events, head {self.head_position} {self.head_hash};"
            f" {self.checkpoints} signed checkpoints agree"
        )
        if self.cosigned:
            found += "; cosigned: " + "; ".join(
                f"size {c.tree_size} by {', '.join(c.witnesses)}" for c in self.cosigned[-10:]
            )
            if len(self.cosigned) > 10:
                found += f" (and {len(self.cosigned) - 10} earlier checkpoints)"
        return found


async def verify_log(
    store: EventStore,
    checkpoints: Checkpoints,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> LogVerification:
    """Recompute the chain, then check every recorded checkpoint: its signature, that the
    log reaches its position, and that the hash there is the signed one."""
    report = await store.verify(progress=progress)
    found = LogVerification(report.checked, report.head_position, report.head_hash, 0)
    if not report.ok:
        return replace(found, first_bad_position=report.first_bad_position, problem=report.problem)
    recorded = await checkpoints.recorded()
    key = checkpoints.key
    if recorded and not key.path.exists():
        problem = f"cannot check {len(recorded)} signed checkpoints: no key at {key.path}"
        return replace(found, problem=problem)
    for checkpoint in recorded:
        there = await hash_at(store, checkpoint.position)
        bad = checkpoint_problem(checkpoint, key.public_key, report.head_position, there)
        if bad is not None:
            return replace(found, first_bad_position=bad[0], problem=bad[1])
    noted = [c for c in recorded if c.note is not None]
    roots = await log_roots(store, {c.position for c in noted})
    for checkpoint in noted:
        bad = note_problem(checkpoint, key.public_key, roots.get(checkpoint.position))
        if bad is not None:
            return replace(found, first_bad_position=bad[0], problem=bad[1])
    found = replace(found, checkpoints=len(recorded))
    cosignatures = await Cosignatures(store, checkpoints.engine, checkpoints.now).recorded()
    required = await required_witnesses(store)
    cosigned, unwitnessed = _witnessed(noted, cosignatures, required)
    return replace(found, cosigned=cosigned, problem=unwitnessed)


def _witnessed(
    noted: list[Checkpoint], cosignatures: list[StoredCosignature], required: list[RequiredWitness]
) -> tuple[tuple[CosignedCheckpoint, ...], str | None]:
    """Which checkpoints carry which verifying cosignatures, and the first problem: a
    cosignature that does not verify with the key a charter names for its witness, or a
    required witness that has cosigned no checkpoint including the event that named it."""
    texts = {c.position: parse_note(c.note).text for c in noted if c.note is not None}
    keys: dict[tuple[str, str], Ed25519PublicKey] = {
        (w.name, w.key_id.hex()): w.public_key for w in required
    }
    by_size: dict[int, list[str]] = {}
    largest: dict[tuple[str, str], int] = {}
    for cosignature in cosignatures:
        who = (cosignature.witness, cosignature.key_id)
        if who not in keys:
            continue  # a witness no charter names (any longer): not checked, as the spec asks
        text = texts.get(cosignature.tree_size)
        signature = cosignature.note_signature()
        if text is None or not cosignature_verifies(text, signature, keys[who]):
            return (), (
                f"NOT WITNESSED: the cosignature of {cosignature.witness} on the checkpoint of"
                f" tree size {cosignature.tree_size} does not verify with the key its charter"
                " names"
            )
        by_size.setdefault(cosignature.tree_size, []).append(cosignature.witness)
        largest[who] = max(largest.get(who, 0), cosignature.tree_size)
    cosigned = tuple(CosignedCheckpoint(size, tuple(by_size[size])) for size in sorted(by_size))
    for witness in required:
        if largest.get((witness.name, witness.key_id.hex()), 0) < witness.since:
            return cosigned, (
                f"NOT WITNESSED: trial {witness.trial_id}'s charter requires witness"
                f" {witness.name}, which has cosigned no checkpoint including position"
                f" {witness.since} (where the charter named it)"
            )
    return cosigned, None


PROGRESS_MEDIA_TYPE = "application/x-ndjson"

logger = logging.getLogger(__name__)


def verification_answer(found: LogVerification) -> dict[str, Any]:
    """What the API answers: the findings, ``ok`` and the one-line summary."""
    return {**asdict(found), "ok": found.ok, "summary": found.summary()}


async def verification_progress(store: EventStore, checkpoints: Checkpoints) -> AsyncIterator[str]:
    """JSON lines: ``{"checked", "head_position"}`` as the chain is recomputed (a page of
    the log at a time), then the answer of :func:`verification_answer` (or, if the check
    itself failed, ``{"problem"}``). Stops the check when the reader goes away."""
    steps: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
    check = asyncio.create_task(
        verify_log(store, checkpoints, progress=lambda done, head: steps.put_nowait((done, head)))
    )
    check.add_done_callback(lambda _: steps.put_nowait(None))
    try:
        while (step := await steps.get()) is not None:
            yield json.dumps({"checked": step[0], "head_position": step[1]}) + "\n"
        try:
            found = check.result()
        except Exception:  # the answer has begun (200): say so in its last line
            logger.exception("verifying the log failed")
            yield json.dumps({"problem": "the server could not finish verifying the log"}) + "\n"
            return
        yield json.dumps(verification_answer(found)) + "\n"
    finally:
        check.cancel()
