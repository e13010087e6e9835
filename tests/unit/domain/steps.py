"""Arrange helpers the domain tests share: commands decided and folded in turn.

Every aggregate's tests build states the same way, by deciding each command on the state
the previous one left and folding its events in; :func:`runner` is that loop, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from domain.amendment import AmendmentState
from domain.protocol import ProtocolState
from domain.protocol_events import SectionText

State = TypeVar("State")
Command = TypeVar("Command")
Command_contra = TypeVar("Command_contra", contravariant=True)
Event = TypeVar("Event")


class Run(Protocol[State, Command_contra]):
    def __call__(self, state: State, /, *commands: Command_contra) -> State: ...


def runner(
    decide: Callable[[State, Command], Sequence[Event]],
    fold: Callable[[Sequence[Event], State], State],
) -> Run[State, Command]:
    """``run(state, *commands)``: the state after each command in turn (the first refusal
    raises). Bind a ``decide`` that takes a context with :func:`functools.partial`."""

    def run(state: State, /, *commands: Command) -> State:
        for command in commands:
            state = fold(decide(state, command), state)
        return state

    return run


Amend = Callable[..., AmendmentState]
"""The ``amend`` fixture: ``amend(state, context, *commands)``, the amendment after each
command in turn."""

OtherMerge = Callable[[ProtocolState, SectionText], ProtocolState]
"""The ``merged_elsewhere`` fixture: ``merged_elsewhere(protocol, content)``, the protocol
after amendment B-n merged with ``content`` (its next version, effective 2026-02-01 or the
day after the current one)."""
