"""Answering an invitation: the one command, besides founding a trial, whose actor is no
member of the trial yet.

The person answering is whoever signed in; the actor is made from them and the
invitation (its organization, no roles: ``domain.workspace.invitee_actor``), and the
command carries their account's username. Whether they are the invitee is the domain's
rule (``NotTheInvitee``), decided with the command like every other rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import workspace
from domain.actor import Actor
from domain.workspace import AcceptInvitation, DeclineInvitation, TrialState
from server.commands.idempotency import IdempotentRequest
from server.commands.service import CommandService, Meta, Outcome
from server.commands.state_cache import StateCache
from server.commands.targets import workspace_target


@dataclass(frozen=True, slots=True)
class Answerer:
    """The signed-in person answering an invitation, as their account knows them."""

    user_id: str
    username: str
    printed_name: str


async def accept_invitation(
    commands: CommandService,
    states: StateCache,
    trial_id: str,
    invitation_id: str,
    answerer: Answerer,
    *,
    meta: Meta,
    idempotency: IdempotentRequest | None = None,
) -> Outcome:
    """Accept ``invitation_id`` as ``answerer``: they become a member if it is theirs."""
    actor = await _actor(states, trial_id, invitation_id, answerer)
    command = AcceptInvitation(actor=actor, invitation_id=invitation_id, username=answerer.username)
    return await _run(commands, trial_id, actor, command, meta, idempotency)


async def decline_invitation(
    commands: CommandService,
    states: StateCache,
    trial_id: str,
    invitation_id: str,
    answerer: Answerer,
    *,
    reason: str = "",
    meta: Meta,
    idempotency: IdempotentRequest | None = None,
) -> Outcome:
    """Decline ``invitation_id`` as ``answerer``, with an optional reason."""
    actor = await _actor(states, trial_id, invitation_id, answerer)
    command = DeclineInvitation(
        actor=actor, invitation_id=invitation_id, username=answerer.username, reason=reason
    )
    return await _run(commands, trial_id, actor, command, meta, idempotency)


async def _actor(
    states: StateCache, trial_id: str, invitation_id: str, answerer: Answerer
) -> Actor:
    target = workspace_target(trial_id)
    trial: TrialState = (await states.load(target.kind, target.stream_id)).state
    if invitation_id not in trial.invitations:
        # Perhaps written by another server a moment ago, not yet followed here.
        trial = (await states.load(target.kind, target.stream_id, fresh=True)).state
    return workspace.invitee_actor(trial, invitation_id, answerer.user_id, answerer.printed_name)


async def _run(
    commands: CommandService,
    trial_id: str,
    actor: Actor,
    command: AcceptInvitation | DeclineInvitation,
    meta: Meta,
    idempotency: IdempotentRequest | None,
) -> Outcome:
    return await commands.execute(
        workspace_target(trial_id),
        actor.user_id,
        lambda _: command,
        meta=meta,
        idempotency=idempotency,
        actor=actor,
    )
