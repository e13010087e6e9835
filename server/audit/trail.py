"""The audit trail: for each change, who (name, roles, organization), when (server UTC),
what (each value that changed, old and new, in full) and why (the stated reason).

It folds the trial from its first event, so each row's "who" is the member as the
workspace knew them at that moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
from typing import Any

from domain.streams import parse_stream, trial_stream
from domain.workspace import TrialState
from events import EventStore, RecordedEvent
from events.canonical import format_timestamp
from server.audit.progress import Progress
from server.audit.state_diff import changed_values, named_in
from server.audit.trial_fold import Step, TrialFold
from server.http.identifiers import ID_PATTERN

PAGE = 1_000
"""Events per read: decoding a page runs on the event loop with some drivers."""
_WHY = ("reason", "rationale", "concern", "meaning", "primary_reason", "note")
"""The fields that say why, in the event's data or its M11 details (a rebase's ``note``)."""


@dataclass(frozen=True, slots=True)
class TrailEntry:
    """One value one event changed, with who, when and why."""

    position: int
    recorded_at: str
    record: str
    event: str
    user_id: str
    printed_name: str
    roles: str
    organization: str
    field: str
    old_value: str
    new_value: str
    reason: str


def record_stream(trial_id: str, record: str) -> str | None:
    """The stream of a record of the trial (``workspace``, ``protocol``, ``amendment/A-1``,
    ``comments/section/5.2``, ...), or None if ``record`` names no record."""
    if not all(map(ID_PATTERN.fullmatch, record.split("/"))):
        return None
    own = trial_stream(trial_id)
    stream_id = own if record == "workspace" else f"{own}/{record}"
    stream = parse_stream(stream_id)
    return stream_id if stream is not None and stream.record == record else None


def _reason(data: dict[str, Any]) -> str:
    places = [data, data.get("details") or {}]
    found = [str(place[key]) for place in places for key in _WHY if place.get(key)]
    return "; ".join(found)


def _entries(step: Step, trial_id: str, workspace: TrialState | None) -> Iterator[TrailEntry]:
    event = step.event
    user_id = str(event.meta.get("actor", ""))
    member, organization = None, None
    if workspace is not None and (member := workspace.members.get(user_id)):
        organization = workspace.organizations.get(member.organization_id)
    recorded_at, record = format_timestamp(event.recorded_at), step.stream.record
    printed_name = member.printed_name if member else ""
    roles = ", ".join(sorted(member.roles)) if member else ""
    reason = _reason(event.data)
    changes = changed_values(step.before, step.after, named_in(event.data))
    for changed, old, new in changes or [("", "", "")]:
        yield TrailEntry(
            position=event.position,
            recorded_at=recorded_at,
            record=record,
            event=event.type,
            user_id=user_id,
            printed_name=printed_name,
            roles=roles,
            organization=organization.name if organization else "",
            field=changed,
            old_value=old,
            new_value=new,
            reason=reason,
        )


async def audit_trail(
    store: EventStore,
    trial_id: str,
    *,
    record: str | None = None,
    progress: Progress | None = None,
) -> AsyncGenerator[TrailEntry, None]:
    """The trail of the whole trial, or of one record (its stream), in log order. Each
    page of the log is folded into its rows in a worker thread (one page at a time, so
    the fold's state is never shared): the event loop only passes the rows on."""
    writing = _TrailWriting(trial_id, record_stream(trial_id, record) if record else None)
    head = await store.head_position()
    async for page in store.pages(until=head, page_size=PAGE, under=writing.workspace_stream):
        for entry in await asyncio.to_thread(writing.rows_of, page):
            yield entry
        if progress is not None:
            progress(page[-1].position, head)
    for entry in writing.rest():
        yield entry


@dataclass(slots=True)
class _TrailWriting:
    """The trail's fold, fed a page of the trial's events at a time."""

    trial_id: str
    wanted: str | None
    fold: TrialFold = field(init=False)
    founding: _Founding = field(init=False)
    workspace_stream: str = field(init=False)

    def __post_init__(self) -> None:
        self.fold, self.founding = TrialFold(self.trial_id), _Founding()
        self.workspace_stream = trial_stream(self.trial_id)

    def rows_of(self, page: list[RecordedEvent]) -> list[TrailEntry]:
        return list(self._rows(page))

    def _rows(self, page: list[RecordedEvent]) -> Iterator[TrailEntry]:
        fold, founding, wanted = self.fold, self.founding, self.wanted
        workspace_stream = self.workspace_stream
        for event in page:
            if wanted and event.stream_id not in (wanted, workspace_stream):
                continue
            if founding.steps and event.meta != founding.steps[0].event.meta:
                yield from founding.flush(self.trial_id, fold.state_of(workspace_stream))
            before = fold.state_of(workspace_stream)
            step = fold.apply(event)
            if step is not None and wanted in (None, event.stream_id):
                actor = event.meta.get("actor")
                known = before if before and actor in before.members else step.after
                workspace = known if isinstance(known, TrialState) else before
                if founding.steps or not _member(workspace, actor):
                    founding.steps.append(step)
                else:
                    yield from _entries(step, self.trial_id, workspace)

    def rest(self) -> Iterator[TrailEntry]:
        """The rows still held (a founding append at the log's end)."""
        return self.founding.flush(self.trial_id, self.fold.state_of(self.workspace_stream))


def _member(workspace: TrialState | None, actor: object) -> bool:
    return workspace is not None and isinstance(actor, str) and actor in workspace.members


@dataclass(slots=True)
class _Founding:
    """Rows of an append whose actor is not a member when it starts: a trial's founding
    (the founder becomes a member and its trial admin within it) or an answer to an
    invitation. They are held until the append ends, then shown with the actor as that
    append left them, so the founding's rows name the founder and their role instead of
    nobody."""

    steps: list[Step] = field(default_factory=list)

    def flush(self, trial_id: str, workspace: Any) -> Iterator[TrailEntry]:
        state = workspace if isinstance(workspace, TrialState) else None
        held, self.steps = self.steps, []
        for step in held:
            yield from _entries(step, trial_id, state)
