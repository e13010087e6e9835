"""What a USDM export reads: a trial's states at a log position or protocol version.

The states come from the audit's replay (``server/audit/history.py``: the trial as the
log had it at a position); the protocol stream's own events add where each version was
published (position, chained hash, day) and the record of an import, if the protocol
came from one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.amendment_state import AmendmentState, AmendmentStatus
from domain.catalog import from_data
from domain.imports import ProtocolImported
from domain.protocol_events import ProtocolVersionPublished
from domain.protocol_state import NEW_PROTOCOL, ProtocolState
from domain.streams import StreamKind, parse_stream, protocol_stream, trial_stream
from domain.workspace import TrialState
from events import EventStore, RecordedEvent
from server.audit.history import Replayed
from server.formats.usdm_export import ExportSource
from server.formats.usdm_ids import LogPoint

Replay = Callable[[str, int], Awaitable[Replayed]]
"""The trial's states at a log position (``TrialHistory.at``, or the server's bounded wait)."""


class NothingToExport(LookupError):
    """No such trial (then), or no such protocol version."""


async def export_source(
    store: EventStore,
    replay: Replay,
    trial_id: str,
    *,
    position: int | None = None,
    version: int | None = None,
) -> ExportSource:
    """The trial at ``position`` (default: the head), or as protocol version ``version``
    was published (its versions 1 to ``version``)."""
    if position is not None and version is not None:
        raise ValueError("give a position or a version, not both")
    # Only the protocol's publications and import are needed here, not its revisions.
    marks = (ProtocolVersionPublished.event_type, ProtocolImported.event_type)
    protocol_events = [
        event
        async for page in store.pages(types=marks, under=protocol_stream(trial_id))
        for event in page
    ]
    published = {
        e.data["version"]: e
        for e in protocol_events
        if e.type == ProtocolVersionPublished.event_type
    }
    if version is not None:
        if version not in published:
            raise NothingToExport(f"trial {trial_id} has no published protocol version {version}")
        position = published[version].position
    head = await store.head_position()
    at = head if position is None else min(position, head)
    replayed = await replay(trial_id, at)
    trial = replayed.states.get(trial_stream(trial_id))
    if not isinstance(trial, TrialState) or not trial.exists:
        raise NothingToExport(f"there is no trial {trial_id} at log position {at}")
    protocol = replayed.states.get(protocol_stream(trial_id), NEW_PROTOCOL)
    assert isinstance(protocol, ProtocolState)
    amendments = {
        state.amendment_id: state
        for stream_id, state in replayed.states.items()
        if (stream := parse_stream(stream_id)) is not None
        and stream.kind is StreamKind.AMENDMENT
        and isinstance(state, AmendmentState)
        and state.status is AmendmentStatus.MERGED
    }
    imported = next(
        (
            from_data(e.type, e.data, e.schema_version)
            for e in protocol_events
            if e.type == ProtocolImported.event_type and e.position <= at
        ),
        None,
    )
    assert imported is None or isinstance(imported, ProtocolImported)
    return ExportSource(
        trial_id=trial_id,
        trial=trial,
        protocol=protocol,
        versions=protocol.versions,
        published={
            v.version: _point(published[v.version])
            for v in protocol.versions
            if v.version in published
        },
        amendments=amendments,
        at=_point(await _event_at(store, at)),
        imported=imported.record if imported else None,
    )


async def _event_at(store: EventStore, position: int) -> RecordedEvent:
    (event,) = await store.read_all(after=position - 1, limit=1)
    return event


def _point(event: RecordedEvent) -> LogPoint:
    return LogPoint(event.position, event.hash, event.recorded_at.date().isoformat())
