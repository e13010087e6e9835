"""A diff between two protocol versions or moments, as an ethics committee reviews it."""

from __future__ import annotations

import re
from typing import Any

from domain.codec import encode
from domain.protocol_diff import diff_documents
from domain.protocol_state import Document, ProtocolState
from domain.streams import StreamKind, protocol_stream
from server.audit.moment import moment, position_of
from server.audit.served_history import streams_of, trial_at
from server.commands.aggregates import PROTOCOL
from server.http.problems import Problem
from server.services import Services

_VERSION = re.compile(r"v([0-9]{1,9})")


async def document_at(
    services: Services, trial_id: str, spec: str
) -> tuple[dict[str, Any], Document]:
    """The protocol document ``spec`` names: ``v2`` (published version 2), a log position,
    or an ISO 8601 time; with a description of what was taken."""
    if match := _VERSION.fullmatch(spec):
        current = await services.states.load(PROTOCOL, protocol_stream(trial_id))
        published = current.state.version(int(match[1]))
        if published is None:
            raise Problem(404, "not-found", f"trial {trial_id} has no protocol version {spec}")
        taken = {"version": published.version, "effective_date": published.effective_date}
        return taken | {"content_hash": published.content_hash}, published.document
    position = await position_of(services.store, moment(spec))
    replayed = await trial_at(services, trial_id, position, streams_of(StreamKind.PROTOCOL))
    protocol = replayed.states.get(protocol_stream(trial_id), ProtocolState())
    taken = {"position": replayed.position, "current_version": protocol.current_version}
    return taken, protocol.document()


async def protocol_diff(services: Services, trial_id: str, old: str, new: str) -> dict[str, Any]:
    """Tracked changes from ``old`` to ``new`` by section, and ``new``'s clean text."""
    old_taken, old_document = await document_at(services, trial_id, old)
    new_taken, new_document = await document_at(services, trial_id, new)
    return {
        "from": old_taken,
        "to": new_taken,
        "sections": [encode(diff) for diff in diff_documents(old_document, new_document)],
        "clean": [encode(section) for section in new_document.values()],
    }
