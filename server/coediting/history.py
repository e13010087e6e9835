"""A shared text as it was at a log position, and who wrote which words of it.

For an auditor: the document is rebuilt from the stream's events up to the position (off
the event loop), and the words written since the last recorded
revision (or since the text was started) are attributed to the people whose updates
wrote them. Attribution follows the text as it reads: after each update the markup is
compared word by word with the markup before it, and the words it inserted are its
author's. The cost is one comparison per update since that revision (bounded by
:data:`MAX_ATTRIBUTED_UPDATES`; beyond it the oldest updates' words are attributed to
the revision itself, and the answer says so).
"""

from __future__ import annotations

import asyncio
import base64
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, XmlFragment

from domain.shared_text import SharedTextEdited, SharedTextRecorded, SharedTextStarted
from events.envelope import RecordedEvent
from events.store import EventStore
from server.coediting.rich_text import FIELD, document_markup

MAX_ATTRIBUTED_UPDATES = 20_000
_PAGE = 5_000
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True, slots=True)
class Recorded:
    """A revision recorded from the shared text."""

    revision: int
    position: int
    reason: str
    contributors: tuple[str, ...]
    recorded_by: str


@dataclass(frozen=True, slots=True)
class Authored:
    """Consecutive words of the text and who wrote them (None: they were there at the
    base: the revision the text was started from or last recorded as)."""

    text: str
    by: str | None


@dataclass(slots=True)
class TextAt:
    """A shared text at a log position."""

    position: int
    version: int
    text: str
    base_revision: int
    authored: list[Authored] = field(default_factory=list)
    recorded: list[Recorded] = field(default_factory=list)
    attributed_from_version: int = 0
    """The stream version attribution starts after (the base's, or later when cut)."""


async def text_at(store: EventStore, stream_id: str, position: int) -> TextAt | None:
    """The shared text as of log ``position`` (None: not started by then)."""
    events: list[RecordedEvent] = []
    start = 1
    while True:
        page = await store.read_stream(stream_id, from_version=start, limit=_PAGE)
        events.extend(e for e in page if e.position <= position)
        if len(page) < _PAGE or page[-1].position > position:
            break
        start = page[-1].stream_version + 1
    if not events:
        return None
    return await asyncio.to_thread(_fold, events, position)


def _fold(events: list[RecordedEvent], position: int) -> TextAt:
    base = 1  # the first event starts the text from a revision: its words are the base
    for index, event in enumerate(events):
        if event.type == SharedTextRecorded.event_type:
            base = index + 1  # the words up to here are the recorded revision's
    cut = max(base, len(events) - MAX_ATTRIBUTED_UPDATES)
    doc: Doc[Any] = Doc()
    fragment: XmlFragment = doc.get(FIELD, type=XmlFragment)
    for update in map(_update, events[:cut]):
        if update is not None:  # one by one: merging many at once costs far more
            doc.apply_update(update)
    words = _words(document_markup(fragment))
    authors: list[str | None] = [None] * len(words)
    for event in events[cut:]:
        update = _update(event)
        if update is None:
            continue
        doc.apply_update(update)
        after = _words(document_markup(fragment))
        authors = _attributed(words, authors, after, _author(event))
        words = after
    answer = TextAt(
        position=position,
        version=events[-1].stream_version,
        text="".join(words),
        base_revision=_base_revision(events[:base]),
        attributed_from_version=events[cut - 1].stream_version if cut else 0,
    )
    answer.authored = _runs(words, authors)
    answer.recorded = [
        Recorded(
            revision=e.data["revision"],
            position=e.position,
            reason=e.data["reason"],
            contributors=tuple(e.data["contributors"]),
            recorded_by=e.data["recorded_by"],
        )
        for e in events
        if e.type == SharedTextRecorded.event_type
    ]
    return answer


def _update(event: RecordedEvent) -> bytes | None:
    if event.type in (SharedTextStarted.event_type, SharedTextEdited.event_type):
        return base64.b64decode(event.data["update"])
    return None


def _author(event: RecordedEvent) -> str:
    by: str = event.data.get("edited_by") or event.data.get("started_by") or ""
    return by


def _base_revision(events: list[RecordedEvent]) -> int:
    for event in reversed(events):
        if event.type == SharedTextRecorded.event_type:
            revision: int = event.data["revision"]
            return revision
        if event.type == SharedTextStarted.event_type:
            started: int = event.data["from_revision"]
            return started
    return 0


def _words(text: str) -> list[str]:
    return _WORDS.findall(text)


def _attributed(
    before: list[str], authors: list[str | None], after: list[str], by: str
) -> list[str | None]:
    """``after``'s authors: words kept keep theirs, words inserted are ``by``'s."""
    attributed: list[str | None] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            attributed.extend(authors[i1:i2])
        elif op in ("insert", "replace"):
            attributed.extend([by] * (j2 - j1))
    return attributed


def _runs(words: list[str], authors: list[str | None]) -> list[Authored]:
    runs: list[Authored] = []
    for word, by in zip(words, authors, strict=True):
        if runs and (runs[-1].by == by or not word.strip()):
            runs[-1] = Authored(runs[-1].text + word, runs[-1].by)
        else:
            runs.append(Authored(word, by))
    return runs
