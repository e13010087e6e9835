"""The server's replays: never longer than a request may wait for the projection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.streams import StreamKind
from server.audit.history import HistoryBuilding, Replayed, Streams
from server.audit.trial_fold import TrialStates
from server.http.problems import Problem
from server.services import Services


def streams_of(*kinds: StreamKind) -> Streams:
    """The streams of these kinds (what a replay that reads them alone asks for: it then
    never decodes the trial's comment threads)."""
    return Streams(frozenset(kinds))


async def trial_at(
    services: Services, trial_id: str, position: int, streams: Streams | None = None
) -> Replayed:
    """The trial at ``position`` (its ``streams``, or every one); 503 with Retry-After
    while its projection is still being built (the first time a trial of a million events
    is asked about, it takes some 20 s; after that it is read from its saved checkpoints)."""
    try:
        return await services.history.at(
            trial_id, position, within=services.settings.history_wait, streams=streams
        )
    except HistoryBuilding as building:
        raise Problem(
            503,
            "history-being-built",
            f"{building}; ask again in a moment",
            headers={"Retry-After": "10"},
            read=building.read,
            head=building.head,
        ) from None


def served_states(
    services: Services, trial_id: str, streams: Streams
) -> Callable[[int], Awaitable[TrialStates]]:
    """The trial's ``streams`` at a position, as :func:`trial_at` answers them (for a
    report that learns its position once it has signed the head)."""

    async def states_at(position: int) -> TrialStates:
        return (await trial_at(services, trial_id, position, streams)).states

    return states_at
