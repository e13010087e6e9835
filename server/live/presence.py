"""Who is in a trial right now, and where: ephemeral, never in the log.

Each live connection may say which section it views or edits; the board keeps the latest
word of every connection of this process until it leaves, and renders a trial's roster
for broadcasting. Other processes' rosters come from server/live/presence_relay.py.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """One connection's presence in one trial."""

    user_id: str
    printed_name: str
    section: str | None
    activity: str
    cursor: str | None = None
    """Where their caret and selection are in the section's shared text: compact JSON of
    Yjs relative positions (``{"anchor": ..., "head": ...}``), as their editor sends it."""
    amendment: str | None = None
    """When they are in an amendment's shared text of the section: the amendment's id."""


class PresenceBoard:
    """Trial → connection → whereabouts."""

    def __init__(self) -> None:
        self._trials: dict[str, dict[Hashable, Whereabouts]] = {}

    def place(self, trial: str, connection: Hashable, whereabouts: Whereabouts) -> bool:
        """Record a connection's whereabouts; True when the roster changed."""
        present = self._trials.setdefault(trial, {})
        if present.get(connection) == whereabouts:
            return False
        present[connection] = whereabouts
        return True

    def leave(self, connection: Hashable, trials: set[str] | None = None) -> list[str]:
        """Forget a connection (in ``trials``, or everywhere); the trials whose roster
        changed."""
        changed = []
        for trial in list(self._trials if trials is None else trials):
            present = self._trials.get(trial)
            if present is not None and present.pop(connection, None) is not None:
                changed.append(trial)
                if not present:
                    del self._trials[trial]
        return changed

    def roster(self, trial: str) -> list[dict[str, Any]]:
        """Everyone present in the trial here, one entry per connection, in roster order."""
        return in_roster_order(
            {
                "user_id": w.user_id,
                "name": w.printed_name,
                "section": w.section,
                "activity": w.activity,
                **({"cursor": json.loads(w.cursor)} if w.cursor else {}),
                **({"amendment": w.amendment} if w.amendment else {}),
            }
            for w in self._trials.get(trial, {}).values()
        )

    def rosters(self) -> dict[str, list[dict[str, Any]]]:
        """Every trial someone here is present in, with its roster."""
        return {trial: self.roster(trial) for trial in self._trials}


def in_roster_order(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Roster entries in a stable order: by name, then section, then activity."""
    return sorted(entries, key=lambda e: (e["name"], e["section"] or "", e["activity"]))
