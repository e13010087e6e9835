"""The log as JSON Lines: written from the store, verified offline from the file alone.

Line 1 is a header: ``{"concord_log": 1, "trial_id", "checkpoint", "public_key"}``, where
``checkpoint`` is the server's signature over the last exported position and its hash
(``server.audit.signing``) and ``public_key`` the PEM of the key that signed it. Every
further line is one envelope as docs/log-format.md describes it, in position order, with
``data`` and ``meta`` exactly as stored. An export of one trial keeps the whole chain:
events of other streams appear as ``{"position", "prev_hash", "hash", "redacted": true}``,
so the chain still links from position 1 to the checkpoint while their content stays out.

When the checkpoint carries a C2SP signed note (tree size and Merkle root), every event
shown in full also carries ``inclusion``: its RFC 9162 audit path (base64 hashes) in the
tree of the checkpoint's size, so one event, its line and the header's signed note prove
it is in the log without the rest of the file (docs/log-format.md). Verifying checks each
path against the signed root, the root against the file's own leaves, and that each
shown stream's versions run from 1 without a gap (an event held back from the middle of
a stream is noticed; one held back from a stream's end, or a whole stream marked as
another trial's, is not: docs/audit.md says what an export cannot prove).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.streams import in_trial
from events import ChainVerifier, EventStore, StoredEnvelope
from events.canonical import canonical_json
from events.merkle import Frontier, event_leaf, verify_inclusion
from server.audit.checkpoints import checkpoint_problem, note_problem
from server.audit.progress import Progress
from server.audit.signed_note import NoteError, parse_checkpoint_text, parse_note
from server.audit.signing import Checkpoint, key_id_of, load_public_key

FORMAT = 1
PAGE = 5_000


class InclusionProofs(Protocol):
    """What writes the ``inclusion`` members (events/merkle_store.py's MerkleTree)."""

    async def inclusions(self, positions: Sequence[int], size: int) -> dict[int, list[bytes]]:
        """The audit path of each position in the tree of ``size`` positions."""
        ...


def _inclusion_member(path: list[bytes] | None) -> str:
    if path is None:
        return ""
    return f'"inclusion":{json.dumps([base64.b64encode(h).decode() for h in path])},'


def _envelope_line(e: StoredEnvelope, path: list[bytes] | None = None) -> str:
    """The envelope with its stored ``data`` and ``meta`` text, members in sorted order
    (with its ``inclusion`` path when given)."""
    dumps = json.dumps
    return (
        f'{{"data":{e.data_json},"hash":{dumps(e.hash)},{_inclusion_member(path)}'
        f'"meta":{e.meta_json},'
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
    proofs: InclusionProofs | None = None,
) -> AsyncIterator[str]:
    """The export's lines: the header, then the log up to the checkpoint's position (only
    ``trial_id``'s events in full, if given; each with its inclusion proof in the tree of
    the checkpoint's size when ``proofs`` are given and the checkpoint has a signed note)."""
    header = {
        "concord_log": FORMAT,
        "trial_id": trial_id,
        "checkpoint": checkpoint.to_json(),
        "public_key": public_key_pem,
    }
    yield json.dumps(header) + "\n"
    end = checkpoint.position
    proving = proofs is not None and checkpoint.note is not None
    async for page in store.stored_pages(until=end, page_size=PAGE):
        shown = [e.position for e in page if trial_id is None or in_trial(e.stream_id, trial_id)]
        paths = await proofs.inclusions(shown, end) if proofs is not None and proving else {}
        for envelope in page:
            if trial_id is None or in_trial(envelope.stream_id, trial_id):
                yield _envelope_line(envelope, paths.get(envelope.position))
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
    proved: int = 0
    """Events whose inclusion proof led to the signed Merkle root."""
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
    signed_root = _signed_root(checkpoint)
    merkle = MerkleCheck(checkpoint.position, signed_root)
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
            proved=merkle.proved,
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
            if fed:
                merkle.add(value["hash"])
        except (ValueError, KeyError, TypeError, AttributeError):
            expected = verifier.report().head_position + 1
            return finish((expected, f"line {number} is not an exported event"))
        if not fed:
            return finish()
        if value.get("redacted") is not True and (bad := merkle.check(value)) is not None:
            return finish(bad)
    chain = verifier.report()
    if chain.head_position > checkpoint.position:
        return finish(
            (
                checkpoint.position + 1,
                f"events after position {checkpoint.position} are not covered by the signature",
            )
        )
    hash_there = chain.head_hash if chain.head_position == checkpoint.position else None
    problem = checkpoint_problem(checkpoint, key, chain.head_position, hash_there)
    if problem is None and chain.head_position == checkpoint.position:
        problem = note_problem(checkpoint, key, merkle.root())
    return finish(problem)


def _signed_root(checkpoint: Checkpoint) -> bytes | None:
    """The Merkle root the checkpoint's note names (its signature is checked at the end,
    with the chain's, by ``note_problem``); None without a readable note."""
    if checkpoint.note is None:
        return None
    try:
        return parse_checkpoint_text(parse_note(checkpoint.note).text).root
    except NoteError:
        return None


class MerkleCheck:
    """The file's own Merkle tree (a leaf per line) and each shown event's checks: its
    inclusion proof leads to the signed root, and its stream's versions have no gap."""

    def __init__(self, size: int, signed_root: bytes | None) -> None:
        self._size = size
        self._signed_root = signed_root
        self._frontier = Frontier()
        self._versions: dict[str, int] = {}
        self.proved = 0

    def add(self, event_hash: str) -> None:
        self._frontier.append(event_leaf(event_hash))

    def root(self) -> bytes:
        return self._frontier.root()

    def check(self, value: dict[str, Any]) -> tuple[int, str] | None:
        position, stream, version = value["position"], value["stream_id"], value["stream_version"]
        last = self._versions.get(stream, 0)
        if version != last + 1:
            return position, (
                f"stream {stream} goes from version {last} to {version} at position"
                f" {position}: an event of it is missing from the export"
            )
        self._versions[stream] = version
        path = value.get("inclusion")
        if path is None or self._signed_root is None:
            return None
        try:
            hashes = [base64.b64decode(h, validate=True) for h in path]
        except (binascii.Error, TypeError, ValueError):
            return position, f"the inclusion proof of position {position} is not base64 hashes"
        leaf = event_leaf(value["hash"])
        if not verify_inclusion(position - 1, self._size, leaf, hashes, self._signed_root):
            return position, (
                f"the inclusion proof of position {position} does not lead to the signed"
                f" Merkle root of tree size {self._size}"
            )
        self.proved += 1
        return None
