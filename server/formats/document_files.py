"""The protocol's documents from the log: which document, loaded, rendered as PDF or DOCX.

One entry point for the API (:mod:`server.formats.document_routes`) and the CLI
(``concord export --format protocol-pdf|protocol-docx``): the states come from a
:class:`server.commands.state_cache.StateCache` (the server's, or a fresh one on the
store for the CLI), who proposed each tracked change and when from the amendment's own
events. Rendering is CPU work and runs in a thread. The renderers (ReportLab, python-docx: half a
second to import) are imported by the first document rendered, not when the server starts.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from domain.amendment_events import (
    AmendmentRebased,
    SectionChangeProposed,
    SectionChangeRetracted,
)
from domain.catalog import from_data
from domain.streams import amendment_stream, protocol_stream, trial_stream
from domain.workspace import TrialState
from events import EventStore
from server.commands.aggregates import AMENDMENT, PROTOCOL, WORKSPACE
from server.commands.state_cache import StateCache
from server.formats.document_building import amendment_document, version_document
from server.formats.format_arguments import DOCUMENT_FORMATS
from server.formats.protocol_document import Copy, ProtocolDocument, Revision


def _pdf(document: ProtocolDocument) -> bytes:
    from server.formats.protocol_pdf import render_pdf

    return render_pdf(document)


def _docx(document: ProtocolDocument) -> bytes:
    from server.formats.protocol_docx import render_docx

    return render_docx(document)


@dataclass(frozen=True, slots=True)
class DocumentFormat:
    """How one kind of file is made and served."""

    extension: str
    media_type: str
    render: Callable[[ProtocolDocument], bytes]


FORMATS: Mapping[str, DocumentFormat] = {
    "pdf": DocumentFormat("pdf", "application/pdf", _pdf),
    "docx": DocumentFormat(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _docx
    ),
}

_VERSION = re.compile(r"[1-9][0-9]{0,8}")


class DocumentNotFound(ValueError):
    """The trial has no such protocol version or amendment (or no protocol yet)."""


@dataclass(frozen=True, slots=True)
class DocumentChoice:
    """Which document: a published version (None: the current one), or an amendment's
    protocol, clean or tracked."""

    version: str | None = None
    amendment: str | None = None
    copy: Copy = Copy.CLEAN


async def _workspace(states: StateCache, trial_id: str) -> TrialState:
    loaded = await states.load(WORKSPACE, trial_stream(trial_id))
    if loaded.version == 0:
        raise DocumentNotFound(f"there is no trial {trial_id}")
    return loaded.state


async def version_file(
    states: StateCache, trial_id: str, version: str | None, *, now: datetime
) -> ProtocolDocument:
    """Published version ``version`` of the trial's protocol (digits; None: the current)."""
    workspace = await _workspace(states, trial_id)
    protocol = (await states.load(PROTOCOL, protocol_stream(trial_id))).state
    if version is None:
        number = protocol.current_version
    elif _VERSION.fullmatch(version):
        number = int(version)
    else:
        raise DocumentNotFound(f"{version!r} is no protocol version: a version is a number")
    published = protocol.version(number)
    if published is None:
        what = f"version {version}" if version is not None else "published version"
        raise DocumentNotFound(f"trial {trial_id} has no protocol {what}")
    amendment = None
    if published.amendment_id is not None:
        stream = amendment_stream(trial_id, published.amendment_id)
        loaded = await states.load(AMENDMENT, stream)
        amendment = loaded.state if loaded.version else None
    return version_document(workspace, protocol, published, amendment, generated_at=now)


async def amendment_file(
    states: StateCache,
    store: EventStore,
    trial_id: str,
    amendment_id: str,
    copy: Copy,
    *,
    now: datetime,
) -> ProtocolDocument:
    """The protocol as amendment ``amendment_id`` makes it, clean or tracked."""
    workspace = await _workspace(states, trial_id)
    stream = amendment_stream(trial_id, amendment_id)
    loaded = await states.load(AMENDMENT, stream)
    if loaded.version == 0:
        raise DocumentNotFound(f"trial {trial_id} has no amendment {amendment_id}")
    protocol = (await states.load(PROTOCOL, protocol_stream(trial_id))).state
    revisions = await _revisions(store, stream, workspace) if copy is Copy.TRACKED else {}
    return amendment_document(
        workspace, protocol, loaded.state, copy, revisions=revisions, generated_at=now
    )


async def _revisions(store: EventStore, stream: str, workspace: TrialState) -> dict[str, Revision]:
    """Who proposed each section's change as it stands, and when (the last proposal, or
    the rebase that settled it)."""
    found: dict[str, Revision] = {}

    def by(user_id: str, at: datetime) -> Revision:
        member = workspace.members.get(user_id)
        return Revision(author=member.printed_name if member else user_id, at=at)

    for recorded in await store.read_stream(stream):
        event = from_data(recorded.type, recorded.data)
        match event:
            case SectionChangeProposed(change=change, proposed_by=user_id):
                found[change.number] = by(user_id, recorded.recorded_at)
            case SectionChangeRetracted(number=number):
                found.pop(number, None)
            case AmendmentRebased(resolutions=resolutions, rebased_by=user_id):
                for resolution in resolutions:
                    if resolution.change is None:
                        found.pop(resolution.number, None)
                    else:
                        found[resolution.number] = by(user_id, recorded.recorded_at)
    return found


async def render(document: ProtocolDocument, kind: str) -> bytes:
    """The document as a ``pdf`` or ``docx`` file's bytes, made in a thread."""
    return await asyncio.to_thread(FORMATS[kind].render, document)


def file_name(document: ProtocolDocument, kind: str) -> str:
    return f"{document.file_stem}.{FORMATS[kind].extension}"


async def write_document(
    store: EventStore,
    trial_id: str | None,
    cli_format: str,
    out: Path,
    choice: DocumentChoice,
    *,
    now: datetime,
) -> None:
    """``concord export --format protocol-pdf|protocol-docx``: write the chosen document."""
    if trial_id is None:
        raise ValueError("the protocol is of one trial: name it with --trial")
    states = StateCache(store)
    if choice.amendment is not None:
        document = await amendment_file(
            states, store, trial_id, choice.amendment, choice.copy, now=now
        )
    else:
        document = await version_file(states, trial_id, choice.version, now=now)
    body = await render(document, DOCUMENT_FORMATS[cli_format])
    await asyncio.to_thread(out.write_bytes, body)
