"""The server's replays: never longer than a request may wait for the projection."""

from __future__ import annotations

from server.audit.history import HistoryBuilding, Replayed
from server.http.problems import Problem
from server.services import Services


async def trial_at(services: Services, trial_id: str, position: int) -> Replayed:
    """The trial at ``position``; 503 with Retry-After while its projection is still being
    built (after a restart, a trial of a million events takes a minute or more)."""
    try:
        return await services.history.at(trial_id, position, within=services.settings.history_wait)
    except HistoryBuilding as building:
        raise Problem(
            503,
            "history-being-built",
            f"{building}; ask again in a moment",
            headers={"Retry-After": "10"},
            read=building.read,
            head=building.head,
        ) from None
