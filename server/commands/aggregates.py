"""The kinds of aggregate the server loads and decides on: how each folds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain import amendment, dispute, engagement, motion, protocol, workspace

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class AggregateKind(Generic[S]):
    """One kind of aggregate: its name, the state before its first event, and evolve."""

    name: str
    new: S
    evolve: Callable[[S, Any], S]


WORKSPACE = AggregateKind("workspace", workspace.NEW_TRIAL, workspace.evolve)
PROTOCOL = AggregateKind("protocol", protocol.NEW_PROTOCOL, protocol.evolve)
AMENDMENT = AggregateKind("amendment", amendment.NEW_AMENDMENT, amendment.evolve)
MOTION = AggregateKind("motion", motion.NEW_MOTION, motion.evolve)
DISPUTE = AggregateKind("dispute", dispute.NEW_DISPUTE, dispute.evolve)
COMMENTS = AggregateKind("comments", engagement.NEW_THREAD, engagement.evolve)
