"""The JSON a client reads for each aggregate: its state in the domain's own vocabulary,
arranged for reading (the protocol's current text in document order, versions without
their full text).

Wherever a section's text is answered (``text``, in the section markup), ``html`` beside
it is the same text as the XHTML fragment :mod:`server.formats.xhtml` writes for the
documents and USDM: one renderer, which escapes everything typed, so a typed
``<script>`` stays text. Beside an amendment's proposed change, ``tracked_html`` marks it
against the section in the amendment's base version (``tracked_against``), never against
the protocol as it is now, as the amendment's tracked document does;
:func:`amendment_changes_view` answers the tracked changes against either."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from domain import m11
from domain.amendment_details import ProposedChange
from domain.amendment_state import AmendmentState
from domain.approval_policy import missing_signatures, required_signatures
from domain.charter import Charter
from domain.codec import JsonValue, encode
from domain.dispute import DisputeState
from domain.motion import MotionState
from domain.protocol_diff import diff_proposal
from domain.protocol_events import SectionText
from domain.protocol_state import Document, ProtocolState
from server.formats.content import blocks
from server.formats.marked_content import tracked_blocks
from server.formats.xhtml import to_xhtml, tracked_xhtml


def protocol_view(state: ProtocolState) -> dict[str, Any]:
    """The protocol now: title, live sections in M11 order, open edit conflicts, versions."""
    live = sorted(
        (s for s in state.sections.values() if not s.removed), key=lambda s: m11.sort_key(s.number)
    )
    return {
        "trial_id": state.trial_id,
        "title": state.title,
        "current_version": state.current_version,
        "sections": [
            {
                "number": section.number,
                "heading": section.head.heading,
                "text": section.head.text,
                "html": section_html(section.head.text),
                "revision": section.head.revision,
                "author": section.head.author,
                "amendment_id": section.head.amendment_id,
                "contributors": list(section.head.contributors),
            }
            for section in live
        ],
        "open_conflicts": [encode(conflict) for conflict in state.open_conflicts.values()],
        "versions": [
            {
                "version": v.version,
                "effective_date": v.effective_date,
                "content_hash": v.content_hash,
                "changed_sections": sorted(v.changed_sections, key=m11.sort_key),
                "amendment_id": v.amendment_id,
            }
            for v in state.versions
        ],
    }


class _RenderedTexts:
    """Texts already written as XHTML by ``write``, least recently used first out once the
    texts and their XHTML pass ``budget`` characters. Every client reloads the protocol
    view on each revision, and writing every section anew takes tens of milliseconds on
    the event loop (118 sections of 1.2 kB: 47 ms); with this, only the changed section is
    written."""

    def __init__(self, write: Callable[..., str], budget: int) -> None:
        self._write = write
        self._budget = budget
        self._size = 0
        self._html: OrderedDict[tuple[str, ...], str] = OrderedDict()
        # Views are written on the event loop and in worker threads (the amendment view).
        self._lock = threading.Lock()

    def __call__(self, *texts: str) -> str:
        with self._lock:
            html = self._html.get(texts)
            if html is not None:
                self._html.move_to_end(texts)
                return html
        html = self._write(*texts)
        cost = sum(map(len, texts)) + len(html)
        if cost > self._budget:
            return html
        with self._lock:
            if texts not in self._html:
                self._html[texts] = html
                self._size += cost
            while self._size > self._budget:
                old_texts, old_html = self._html.popitem(last=False)
                self._size -= sum(map(len, old_texts)) + len(old_html)
        return html


_rendered = _RenderedTexts(lambda text: to_xhtml(blocks(text)), budget=16_000_000)
_tracked = _RenderedTexts(
    lambda old, new: tracked_xhtml(tracked_blocks(old, new)), budget=4_000_000
)


def section_html(text: str) -> str:
    """A section's text (markup) as one XHTML ``div``: what the web shows of it."""
    return _rendered(text)


def tracked_html(old: str, new: str) -> str:
    """A section's text ``new`` marked against ``old`` (both markup) as one XHTML ``div``,
    insertions in ``ins`` and deletions in ``del`` (:func:`server.formats.xhtml.tracked_xhtml`)."""
    return _tracked(old, new)


def state_view(state: object) -> JsonValue:
    """Any other aggregate's state as plain JSON."""
    return encode(state)


def amendment_view(
    state: AmendmentState, charter: Charter, protocol: ProtocolState
) -> dict[str, Any]:
    """The amendment's state, with the signatures the charter requires of it and those its
    current content still lacks (what a signer is waiting on), each proposed change
    tracked against the amendment's base version of ``protocol``, and M11's summary of
    changes (the rows the protocol documents and the merge record carry)."""
    required = required_signatures(charter, state.details, state.sections) if state.details else ()
    missing = missing_signatures(required, state.signatures, state.content_hash, state.authors)
    base = protocol.version(state.base_version)
    base_document: Document = base.document if base is not None else {}
    view = encode(state)
    assert isinstance(view, dict)
    return {
        **view,
        "changes": {
            number: _change_view(change, base_document.get(number), state.base_version)
            for number, change in state.changes.items()
        },
        "summary_of_changes": encode(state.summary_of_changes()),
        "required_signatures": [encode(r) for r in required],
        "missing_signatures": [encode(r) for r in missing],
    }


def _change_view(
    change: ProposedChange, base: SectionText | None, base_version: int
) -> dict[str, Any]:
    """A proposed change, with its new text as XHTML (None when it removes the section),
    and ``tracked_html``: the change against the section in the base version (``base``;
    None: the base lacks it, so all of it is inserted), a removal all deleted."""
    view = encode(change)
    assert isinstance(view, dict)
    old, new = (base.text if base is not None else ""), (change.text or "")
    return {
        **view,
        "html": None if change.text is None else section_html(change.text),
        "tracked_html": tracked_html(old, new),
        "tracked_against": {"version": base_version},
    }


class Against(StrEnum):
    """What an amendment's tracked changes are marked against."""

    BASE = "base"
    """The version it was written on (after a rebase, the version it was rebased onto)."""
    CURRENT = "current"
    """The protocol's current version."""


def amendment_changes_view(
    state: AmendmentState, protocol: ProtocolState, against: Against
) -> dict[str, Any]:
    """The amendment's tracked changes against its base version or the current one: per
    section it changes, the text there (``old_*``), the proposed text (``new_*``), the
    word-level runs (:func:`domain.protocol_diff.diff_proposal`, the differ of the audit's
    protocol diffs) and the same as XHTML. A merged amendment against its base shows what
    it changed; against the current version, what a later version did to that."""
    number = state.base_version if against is Against.BASE else protocol.current_version
    # Every amendment opens on a published version, so the one it names is there.
    reference = next((v.document for v in protocol.versions if v.version == number), {})
    changes = {n: change.content for n, change in state.changes.items()}
    sections = []
    for diff in diff_proposal(reference, changes):
        change = state.changes[diff.number]
        view = encode(diff)
        assert isinstance(view, dict)
        sections.append(
            {
                **view,
                "heading": change.heading,
                "description": change.description,
                "rationale": change.rationale,
                "tracked_html": tracked_html(diff.old_text or "", diff.new_text or ""),
            }
        )
    return {
        "amendment_id": state.amendment_id,
        "status": state.status.value if state.status else None,
        "against": {"kind": against.value, "version": number},
        "base_version": state.base_version,
        "current_version": protocol.current_version,
        "merged_version": state.merged_version,
        "sections": sections,
    }


def amendment_summary(state: AmendmentState) -> dict[str, Any]:
    """One line of a list of amendments."""
    return {
        "amendment_id": state.amendment_id,
        "status": state.status.value if state.status else None,
        "summary": state.details.summary if state.details else "",
        "base_version": state.base_version,
        "content_hash": state.content_hash,
        "opened_by": state.opened_by,
        "signatures": len(state.signatures),
    }


def motion_summary(state: MotionState) -> dict[str, Any]:
    """One line of a list of motions: the question, how it stands, and the tally."""
    return {
        "motion_id": state.motion_id,
        "question": state.question,
        "status": state.status.value if state.status else None,
        "outcome": state.outcome,
        "tally": encode(state.tally()),
    }


def dispute_summary(state: DisputeState) -> dict[str, Any]:
    """One line of a list of disputes: what about, and how it was settled."""
    return {
        "dispute_id": state.dispute_id,
        "subject_kind": state.subject_kind.value if state.subject_kind else None,
        "subject_id": state.subject_id,
        "raised_by": state.raised_by,
        "resolution": state.resolution,
        "resolved_by": state.resolved_by,
    }
