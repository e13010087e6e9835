"""The audit trail: for each change, who (name, roles, organization), when (server UTC),
what (each value that changed, old and new, in full) and why (the stated reason).

It folds the trial from its first event, so each row's "who" is the member as the
workspace knew them at that moment.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
from typing import Any

from domain.streams import parse_stream, trial_stream
from domain.workspace import TrialState
from events import EventStore
from events.canonical import format_timestamp
from server.audit.loop_share import LoopShare
from server.audit.progress import Progress
from server.audit.state_diff import changed_values, named_in
from server.audit.trial_fold import Step, TrialFold
from server.http.identifiers import ID_PATTERN

PAGE = 1_000
"""Events per read: decoding a page runs on the event loop with some drivers."""
SLICE_SECONDS = 0.002
"""How long the trail is written before the event loop gets a turn: shorter than the
audit's default (5 ms), since a request served meanwhile needs a dozen turns or so
(beside a 100,000-comment thread's CSV export, other reads' p99 fell from 91-107 ms to
44-84 ms, the export taking no longer within the noise; docs/benchmarks.md)."""
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
    """The trail of the whole trial, or of one record (its stream), in log order."""
    workspace_stream = trial_stream(trial_id)
    wanted = record_stream(trial_id, record) if record else None
    fold, head = TrialFold(trial_id), await store.head_position()
    share = LoopShare(SLICE_SECONDS)
    founding = _Founding()
    async for page in store.pages(until=head, page_size=PAGE, under=workspace_stream):
        for event in page:
            if wanted and event.stream_id not in (wanted, workspace_stream):
                continue
            if founding.steps and event.meta != founding.steps[0].event.meta:
                for entry in founding.flush(trial_id, fold.state_of(workspace_stream)):
                    yield entry
            before = fold.state_of(workspace_stream)
            step = fold.apply(event)
            if step is not None and wanted in (None, event.stream_id):
                actor = event.meta.get("actor")
                known = before if before and actor in before.members else step.after
                workspace = known if isinstance(known, TrialState) else before
                if founding.steps or not _member(workspace, actor):
                    founding.steps.append(step)
                else:
                    for entry in _entries(step, trial_id, workspace):
                        yield entry
            await share.turn()
        if progress is not None:
            progress(page[-1].position, head)
    for entry in founding.flush(trial_id, fold.state_of(workspace_stream)):
        yield entry


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
