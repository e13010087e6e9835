"""The log as JSON Lines: written from the store, verified offline from the file alone.

Line 1 is a header: ``{"concord_log": 1, "trial_id", "checkpoint", "public_key"}``, where
``checkpoint`` is the server's signature over the last exported position and its hash
(``server.audit.signing``) and ``public_key`` the PEM of the key that signed it. Every
further line is one envelope as docs/log-format.md describes it, in position order, with
``data`` and ``meta`` exactly as stored. An export of one trial keeps the whole chain:
events of other streams appear as ``{"position", "prev_hash", "hash", "redacted": true}``,
so the chain still links from position 1 to the checkpoint while their content stays out.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.streams import in_trial
from events import ChainVerifier, EventStore, StoredEnvelope
from events.canonical import canonical_json
from server.audit.checkpoints import checkpoint_problem
from server.audit.progress import Progress
from server.audit.signing import Checkpoint, key_id_of, load_public_key

FORMAT = 1
PAGE = 5_000


def _envelope_line(e: StoredEnvelope) -> str:
    """The envelope with its stored ``data`` and ``meta`` text, members in sorted order."""
    dumps = json.dumps
    return (
        f'{{"data":{e.data_json},"hash":{dumps(e.hash)},"meta":{e.meta_json},'
        f'"position":{e.position},"prev_hash":{dumps(e.prev_hash)},'
        f'"recorded_at":{dumps(e.recorded_at)},"schema_version":{e.schema_version},'
        f'"stream_id":{dumps(e.stream_id, ensure_ascii=False)},'
        f'"stream_version":{e.stream_version},"type":{dumps(e.type, ensure_ascii=False)}}}\n'
    )


async def log_lines(
    store: EventStore,
    checkpoint: Checkpoint,
    public_key_pem: str,
    *,
    trial_id: str | None = None,
    progress: Progress | None = None,
) -> AsyncIterator[str]:
    """The export's lines: the header, then the log up to the checkpoint's position (only
    ``trial_id``'s events in full, if given)."""
    header = {
        "concord_log": FORMAT,
        "trial_id": trial_id,
        "checkpoint": checkpoint.to_json(),
        "public_key": public_key_pem,
    }
    yield json.dumps(header) + "\n"
    end = checkpoint.position
    async for page in store.stored_pages(until=end, page_size=PAGE):
        for envelope in page:
            if trial_id is None or in_trial(envelope.stream_id, trial_id):
                yield _envelope_line(envelope)
            else:
                link = {"position": envelope.position, "prev_hash": envelope.prev_hash}
                yield json.dumps({**link, "hash": envelope.hash, "redacted": True}) + "\n"
        if progress is not None:
            progress(page[-1].position, end)


class NotALogFile(ValueError):
    """The file is not a Concord log export (no header, or another format)."""


@dataclass(frozen=True, slots=True)
class FileReport:
    """What verifying an exported log found."""

    checkpoint: Checkpoint
    key_id: str
    key_given: bool
    """True if the key came from the verifier, False if it is the one in the file."""
    trial_id: str | None
    checked: int
    redacted: int
    first_bad_position: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_position is None


def _envelope(value: Any) -> StoredEnvelope:
    """The stored form of an exported envelope: its data and meta in canonical text."""
    return StoredEnvelope(
        position=value["position"],
        stream_id=value["stream_id"],
        stream_version=value["stream_version"],
        type=value["type"],
        schema_version=value["schema_version"],
        data_json=canonical_json(value["data"]),
        meta_json=canonical_json(value["meta"]),
        recorded_at=value["recorded_at"],
        prev_hash=value["prev_hash"],
        hash=value["hash"],
    )


def _header(line: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("concord_log") != FORMAT:
        raise NotALogFile(f"the first line is not a Concord log header (format {FORMAT})")
    return header


def verify_log_file(
    lines: Iterable[str],
    *,
    public_key: Ed25519PublicKey | None = None,
    total: int = 0,
    progress: Progress | None = None,
) -> FileReport:
    """Check an exported log: the chain from position 1, then the signed checkpoint in
    its header (with ``public_key`` if given, else the key the file names). ``total`` is
    the number of lines to report progress against."""
    rows = iter(lines)
    header = _header(next(rows, ""))
    try:
        checkpoint = Checkpoint.from_json(header.get("checkpoint"))
        key = public_key or load_public_key(str(header.get("public_key")))
    except ValueError as error:
        raise NotALogFile(f"the header's checkpoint or key does not read: {error}") from error
    verifier, redacted = ChainVerifier(), 0
    base = FileReport(
        checkpoint=checkpoint,
        key_id=key_id_of(key),
        key_given=public_key is not None,
        trial_id=header.get("trial_id"),
        checked=0,
        redacted=0,
    )

    def finish(bad: tuple[int, str] | None = None) -> FileReport:
        chain = verifier.report()
        where, problem = bad or (chain.first_bad_position, chain.problem)
        return replace(
            base,
            checked=chain.checked,
            redacted=redacted,
            first_bad_position=where,
            problem=problem,
        )

    for number, line in enumerate(rows, start=2):
        if progress is not None and number % PAGE == 0:
            progress(number, total)
        try:
            value = json.loads(line)
            if value.get("redacted") is True:
                fed = verifier.feed_link(value["position"], value["prev_hash"], value["hash"])
                redacted += 1
            else:
                fed = verifier.feed(_envelope(value))
        except (ValueError, KeyError, TypeError, AttributeError):
            expected = verifier.report().head_position + 1
            return finish((expected, f"line {number} is not an exported event"))
        if not fed:
            return finish()
    chain = verifier.report()
    if chain.head_position > checkpoint.position:
        return finish(
            (
                checkpoint.position + 1,
                f"events after position {checkpoint.position} are not covered by the signature",
            )
        )
    hash_there = chain.head_hash if chain.head_position == checkpoint.position else None
    return finish(checkpoint_problem(checkpoint, key, chain.head_position, hash_there))
