"""Arrange helpers the domain tests share: commands decided and folded in turn.

Every aggregate's tests build states the same way, by deciding each command on the state
the previous one left and folding its events in; :func:`runner` is that loop, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from domain.actor import Actor
from domain.amendment import AmendmentState
from domain.protocol import ProtocolState
from domain.protocol_events import SectionText
from domain.roles import OrganizationKind
from domain.workspace import AcceptInvitation, InviteMember

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


INVITED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def joining(
    admin: Actor,
    user_id: str,
    printed_name: str,
    organization_id: str,
    kind: OrganizationKind,
) -> tuple[InviteMember, AcceptInvitation]:
    """The two commands by which ``user_id`` (username the same) joins a trial: ``admin``
    invites them for the organization, they accept (invitation ``inv-{user_id}``)."""
    invitation_id = f"inv-{user_id}"
    invitee = Actor(
        user_id=user_id,
        printed_name=printed_name,
        organization_id=organization_id,
        organization_kind=kind,
    )
    return (
        InviteMember(
            actor=admin,
            invitation_id=invitation_id,
            username=user_id,
            organization_id=organization_id,
            invited_at=INVITED_AT,
        ),
        AcceptInvitation(actor=invitee, invitation_id=invitation_id, username=user_id),
    )
