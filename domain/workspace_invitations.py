"""Invitations: nobody joins a trial without consenting to it.

An admin invites a person, named by their account's username, to join for an admitted
organization. The invitation records only what the admin typed: nothing of the account
(whether it exists, its id, its printed name) enters the trial until its owner answers.
Accepting records ``InvitationAccepted`` and then the same ``MemberAdded`` the founder
gets, with the account's printed name, so training and roles follow as for any member.
Declining is recorded too; an admin may withdraw a pending invitation. Only the invitee
answers: the server authenticates them and passes their username, and the rule is here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import assert_never

from domain.actor import Actor
from domain.errors import (
    InvalidUsername,
    InvitationAlreadyExists,
    InvitationAlreadyPending,
    InvitationNotFound,
    InvitationNotPending,
    MemberAlreadyAdded,
    NotTheInvitee,
    OrganizationNotFound,
    require_text,
)
from domain.timestamps import instant_text
from domain.workspace_commands import (
    AcceptInvitation,
    DeclineInvitation,
    InviteMember,
    WithdrawInvitation,
)
from domain.workspace_events import (
    InvitationAccepted,
    InvitationDeclined,
    InvitationWithdrawn,
    MemberAdded,
    MemberInvited,
    WorkspaceEvent,
)
from domain.workspace_state import Invitation, InvitationStatus, TrialState

InvitationCommand = InviteMember | WithdrawInvitation | AcceptInvitation | DeclineInvitation

USERNAME_MAX = 64
_USERNAME = re.compile(r"[\w.@+-]+")


def username_key(username: str) -> str:
    """The form under which usernames are the same (NFKC-normalised, case-folded): the
    accounts' own rule, so ``Sam`` and ``sam`` name one account."""
    return unicodedata.normalize("NFKC", username).casefold()


def invitee_actor(state: TrialState, invitation_id: str, user_id: str, printed_name: str) -> Actor:
    """The actor of an answer to ``invitation_id``: the person signed in as ``user_id``,
    of the organization the invitation is for, with no roles (they are not a member).
    Whether they are the invitee is decided with the command."""
    invitation = _invitation(state, invitation_id)
    organization = state.organizations[invitation.organization_id]
    return Actor(
        user_id=user_id,
        printed_name=printed_name,
        organization_id=organization.organization_id,
        organization_kind=organization.kind,
    )


def pending_for(state: TrialState, username: str) -> list[Invitation]:
    """The pending invitations addressed to ``username``."""
    key = username_key(username)
    return [i for i in state.invitations.values() if i.pending and username_key(i.username) == key]


def decide_invitation(state: TrialState, command: InvitationCommand) -> list[WorkspaceEvent]:
    """The events of an invitation command, or a DomainError naming the rule it breaks."""
    by = command.actor.user_id
    match command:
        case InviteMember():
            return [_invite(state, command)]
        case WithdrawInvitation(invitation_id=invitation_id, reason=reason):
            _pending(state, invitation_id)
            return [
                InvitationWithdrawn(
                    trial_id=state.trial_id,
                    invitation_id=invitation_id,
                    reason=reason,
                    withdrawn_by=by,
                )
            ]
        case AcceptInvitation(invitation_id=invitation_id, username=username):
            invitation = _answerable(state, invitation_id, username)
            if by in state.members:
                raise MemberAlreadyAdded("you are already a member of the trial")
            printed_name = command.actor.printed_name
            require_text(printed_name, "the member's printed name")
            return [
                InvitationAccepted(
                    trial_id=state.trial_id,
                    invitation_id=invitation_id,
                    user_id=by,
                    printed_name=printed_name,
                ),
                MemberAdded(
                    trial_id=state.trial_id,
                    user_id=by,
                    printed_name=printed_name,
                    organization_id=invitation.organization_id,
                    added_by=invitation.invited_by,
                ),
            ]
        case DeclineInvitation(invitation_id=invitation_id, username=username, reason=reason):
            _answerable(state, invitation_id, username)
            return [
                InvitationDeclined(
                    trial_id=state.trial_id,
                    invitation_id=invitation_id,
                    user_id=by,
                    reason=reason,
                )
            ]
        case _:
            assert_never(command)


def _invite(state: TrialState, command: InviteMember) -> MemberInvited:
    username = command.username
    require_text(command.invitation_id, "an invitation id")
    if not (1 <= len(username) <= USERNAME_MAX and _USERNAME.fullmatch(username)):
        raise InvalidUsername(
            f"a username has 1 to {USERNAME_MAX} letters, digits or the characters . _ @ + -"
        )
    if command.organization_id not in state.organizations:
        raise OrganizationNotFound(
            f"organization {command.organization_id} is not admitted to the trial"
        )
    if command.invitation_id in state.invitations:
        raise InvitationAlreadyExists(f"invitation {command.invitation_id} already exists")
    key = username_key(username)
    for invitation in state.invitations.values():
        if username_key(invitation.username) != key:
            continue
        if invitation.pending:
            raise InvitationAlreadyPending(
                f"{username} already has invitation {invitation.invitation_id}, still pending"
            )
        if invitation.status is InvitationStatus.ACCEPTED:
            raise MemberAlreadyAdded(f"{username} is already a member of the trial")
    return MemberInvited(
        trial_id=state.trial_id,
        invitation_id=command.invitation_id,
        username=username,
        organization_id=command.organization_id,
        invited_by=command.actor.user_id,
        invited_at=instant_text(command.invited_at, "the invitation's time"),
    )


def _invitation(state: TrialState, invitation_id: str) -> Invitation:
    invitation = state.invitations.get(invitation_id)
    if invitation is None:
        raise InvitationNotFound(f"the trial has no invitation {invitation_id}")
    return invitation


def _pending(state: TrialState, invitation_id: str) -> Invitation:
    invitation = _invitation(state, invitation_id)
    if not invitation.pending:
        raise InvitationNotPending(
            f"invitation {invitation_id} was {invitation.status.value}; it cannot change now"
        )
    return invitation


def _answerable(state: TrialState, invitation_id: str, username: str) -> Invitation:
    """The invitation, if ``username`` (the actor's account) is its invitee and it is pending.
    The invitee is checked first: someone else learns nothing about how it stands."""
    invitation = _invitation(state, invitation_id)
    if username_key(invitation.username) != username_key(username):
        raise NotTheInvitee(f"invitation {invitation_id} is addressed to another account")
    return _pending(state, invitation_id)
