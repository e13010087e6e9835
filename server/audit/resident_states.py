"""The audit checkpoints' states this process keeps decoded: least recently used dropped
first, past a budget of bytes (see docs/audit.md, "State at any position, fast")."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

RESIDENT_BYTES = 16 * 2**20
"""The budget, in bytes of the states' JSON: decoded, a state takes about 3.3 times its
JSON (at 1,000,000 events: 67 MB of JSON for the trial at the head, 220 MB in memory), so
16 MB keep about 55 MB of states: every motion of a trial of a million events, and the
checkpoints read lately."""

RESIDENT_LINE_BYTES = 4 * 2**20
"""The budget of the lines kept (:mod:`server.audit.listed_lines`), in bytes of their JSON:
some 27,000 lines of 150 bytes, every motion of several trials of a million events."""

Key = tuple[str, str, int]
"""``(trial_id, stream_id, count)``: a stream's state at a checkpoint of its trial."""


class ResidentStates:
    """Decoded states by :data:`Key`, each with its cost (bytes of its JSON); the least
    recently read or kept is dropped while the costs add up to more than ``budget``."""

    __slots__ = ("_budget", "_entries", "cost")

    def __init__(self, budget: int = RESIDENT_BYTES) -> None:
        if budget < 0:
            raise ValueError(f"a budget is 0 bytes or more, not {budget}")
        self._budget = budget
        self._entries: OrderedDict[Key, tuple[Any, int]] = OrderedDict()
        self.cost = 0
        """What the states kept cost now (at most the budget)."""

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Any | None:
        """The state kept at ``key`` (now the most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def keep(self, key: Key, state: Any, cost: int) -> None:
        """Keep ``state`` at ``key``, then drop the least recently used past the budget
        (``state`` itself, if it alone costs more)."""
        old = self._entries.pop(key, None)
        if old is not None:
            self.cost -= old[1]
        self._entries[key] = (state, cost)
        self.cost += cost
        while self.cost > self._budget:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.cost -= dropped

    def forget_trial(self, trial_id: str) -> None:
        """Drop every state of ``trial_id``."""
        for key in [k for k in self._entries if k[0] == trial_id]:
            self.cost -= self._entries.pop(key)[1]

    def clear(self) -> None:
        self._entries.clear()
        self.cost = 0
