"""What the inbox needs from the log that the states do not keep: when each comment was
posted and by whom, who voided an amendment's signatures and when, and what happened to
people's comments and amendments (the notices of their recent updates).

Each stream is read once, then only its new events (the state cache says its version):
the cost follows the events appended, not the log's length. Kept per stream, at most
:data:`STREAMS` streams (least recently asked dropped first) and :data:`NOTICES` notices
each.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from domain.inbox import Notice, UpdateKind, Voiding
from domain.timestamps import instant_text
from events import EventStore

STREAMS = 10_000
"""How many streams' activity is kept."""
NOTICES = 50
"""How many notices each stream keeps (its newest)."""
PAGE = 1_000
"""How many events one read of a stream's new events asks for."""

_AMENDMENT_OUTCOMES = {
    "AmendmentApproved": (UpdateKind.APPROVED, ""),
    "AmendmentRejected": (UpdateKind.REJECTED, "rejected_by"),
    "AmendmentWithdrawn": (UpdateKind.WITHDRAWN, "withdrawn_by"),
    "AmendmentMerged": (UpdateKind.MERGED, "merged_by"),
    "AmendmentConflictDetected": (UpdateKind.CONFLICT, ""),
}
_CONTENT_CHANGES = {
    "SectionChangeProposed": "proposed_by",
    "SectionChangeRetracted": "retracted_by",
    "AmendmentDetailsRevised": "revised_by",
    "AmendmentRebased": "rebased_by",
}


@dataclass(slots=True)
class StreamActivity:
    """One stream's activity up to ``version``. Amendment notices name nobody in ``to``
    (the amendment's authors, which its state knows) and no subject."""

    version: int = 0
    posted: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Each comment's author and time, by comment id."""
    notices: list[Notice] = field(default_factory=list)
    voiding: Voiding | None = None
    changed_by: str = ""
    """Whose content change came last (who voided signatures, in logs that do not say)."""

    def comment_times(self) -> dict[str, str]:
        return {c: at for c, (_, at) in self.posted.items()}


class Activity:
    """Each stream's activity, read from the log as far as the version asked for."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._streams: OrderedDict[str, StreamActivity] = OrderedDict()

    async def of(
        self, stream_id: str, version: int, record: str, subject: str = ""
    ) -> StreamActivity:
        """``stream_id``'s activity up to ``version`` (its events after the version last
        read are read now). ``record``: the stream within its trial (``amendment/A-1``);
        ``subject``: how a comment thread's notices name it (``section 5.2``)."""
        known = self._streams.get(stream_id)
        if known is None or known.version > version:
            known = StreamActivity()
        while known.version < version:
            found = await self._store.read_stream(
                stream_id, from_version=known.version + 1, limit=PAGE
            )
            if not found:
                break
            for event in found:
                at = instant_text(event.recorded_at, "an event's time")
                _apply(known, record, subject, event.type, event.data, at)
                known.version = event.stream_version
        del known.notices[:-NOTICES]
        self._streams[stream_id] = known
        self._streams.move_to_end(stream_id)
        if len(self._streams) > STREAMS:
            self._streams.popitem(last=False)
        return known


def _apply(
    known: StreamActivity, record: str, subject: str, kind: str, data: dict[str, Any], at: str
) -> None:
    if kind == "CommentPosted":
        known.posted[data["comment_id"]] = (data["author_id"], at)
        parent = known.posted.get(data.get("in_reply_to") or "")
        if parent is not None and parent[0] != data["author_id"]:
            known.notices.append(
                Notice(
                    kind=UpdateKind.REPLY,
                    record=record,
                    subject=subject,
                    at=at,
                    to=frozenset({parent[0]}),
                    by=data["author_id"],
                )
            )
    elif kind == "FeedbackDispositioned":
        known.notices.append(
            Notice(
                kind=UpdateKind.DISPOSITION,
                record=record,
                subject=subject,
                at=at,
                to=frozenset({data["author_id"]}),
                by=data["dispositioned_by"],
                detail=str(data["disposition"]),
                reason=str(data.get("reason", "")),
            )
        )
    elif kind in _CONTENT_CHANGES:
        known.changed_by = str(data.get(_CONTENT_CHANGES[kind], "")) or known.changed_by
    elif kind == "SignaturesInvalidated":
        by = str(data.get("invalidated_by") or "") or known.changed_by
        known.voiding = Voiding(signers=frozenset(data.get("signers", ())), by=by, at=at)
    elif kind in _AMENDMENT_OUTCOMES:
        update, by_field = _AMENDMENT_OUTCOMES[kind]
        detail = ""
        if update is UpdateKind.MERGED:
            detail = str(data.get("protocol_version", ""))
        elif update is UpdateKind.CONFLICT:
            detail = ", ".join(data.get("merged_amendments", ()))
        known.notices.append(
            Notice(
                kind=update,
                record=record,
                subject="",
                at=at,
                to=frozenset(),
                by=str(data.get(by_field, "")) if by_field else "",
                detail=detail,
                reason=str(data.get("reason", "")),
            )
        )
