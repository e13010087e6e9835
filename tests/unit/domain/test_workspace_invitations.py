"""Invitations: a person joins a trial only by accepting; declining and withdrawing are
recorded; only the invitee answers, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from domain import errors, workspace
from domain.actor import Actor
from domain.catalog import from_data
from domain.charter import GCP_TRAINING
from domain.roles import OrganizationKind, Role
from domain.workspace import (
    AcceptInvitation,
    AdmitOrganization,
    AttestTraining,
    CreateTrial,
    DeclineInvitation,
    GrantRole,
    InvitationStatus,
    InviteMember,
    TrainingRecord,
    TrialState,
    WithdrawInvitation,
)
from domain.workspace_events import (
    InvitationAccepted,
    InvitationDeclined,
    InvitationWithdrawn,
    MemberAdded,
    MemberInvited,
)
from domain.workspace_invitations import username_key
from tests.unit.domain.steps import INVITED_AT, runner

run = runner(workspace.decide, workspace.fold)
GCP = TrainingRecord(course=GCP_TRAINING, completed_on=date(2025, 6, 1))
FULL_WIDTH_IVY = "\uff29\uff36\uff39"


@pytest.fixture(scope="module")
def trial(admin: Actor) -> TrialState:
    """Trial t-1 founded by Ada (ACME, a sponsor), with City Hospital admitted."""
    founder = replace(admin, roles=frozenset())
    created = run(
        workspace.NEW_TRIAL,
        CreateTrial(
            actor=founder,
            trial_id="t-1",
            title="ACME-101",
            organization_name="ACME Pharma",
            founder_training=(replace(GCP, attested_by="olga"),),
            founded_at=INVITED_AT,
        ),
    )
    ada = workspace.actor_in(created, "ada")
    hospital = AdmitOrganization(
        actor=ada, organization_id="site-1", name="City Hospital", kind=OrganizationKind.SITE
    )
    return run(created, hospital)


def ada(state: TrialState) -> Actor:
    return workspace.actor_in(state, "ada")


def invite(state: TrialState, username: str = "Ivy", invitation_id: str = "inv-1") -> InviteMember:
    return InviteMember(
        actor=ada(state),
        invitation_id=invitation_id,
        username=username,
        organization_id="site-1",
        invited_at=INVITED_AT,
    )


def signed_in(state: TrialState, user_id: str, printed_name: str, invitation_id: str) -> Actor:
    """The actor the server makes of an account answering ``invitation_id``."""
    return workspace.invitee_actor(state, invitation_id, user_id, printed_name)


@pytest.fixture(scope="module")
def invited(trial: TrialState) -> TrialState:
    """Ada invited the account ``Ivy`` to join for City Hospital (inv-1)."""
    return run(trial, invite(trial))


def accept(state: TrialState, username: str = "ivy", user_id: str = "u-ivy") -> AcceptInvitation:
    actor = signed_in(state, user_id, "Dr Ivy Chen", "inv-1")
    return AcceptInvitation(actor=actor, invitation_id="inv-1", username=username)


def decline(state: TrialState, reason: str = "", username: str = "ivy") -> DeclineInvitation:
    actor = signed_in(state, "u-ivy", "Dr Ivy Chen", "inv-1")
    return DeclineInvitation(actor=actor, invitation_id="inv-1", username=username, reason=reason)


def test_an_invitation_records_what_the_admin_typed_and_makes_nobody_a_member(
    trial: TrialState,
) -> None:
    assert workspace.decide(trial, invite(trial)) == [
        MemberInvited(
            trial_id="t-1",
            invitation_id="inv-1",
            username="Ivy",
            organization_id="site-1",
            invited_by="ada",
            invited_at="2026-03-01T09:30:00.000000Z",
        )
    ]
    invited = run(trial, invite(trial))
    assert invited.members.keys() == {"ada"}
    pending = invited.invitations["inv-1"]
    assert pending.status is InvitationStatus.PENDING
    assert workspace.pending_for(invited, "IVY") == [pending]


def test_accepting_makes_the_invitee_a_member_with_their_printed_name(
    invited: TrialState,
) -> None:
    assert workspace.decide(invited, accept(invited)) == [
        InvitationAccepted(
            trial_id="t-1", invitation_id="inv-1", user_id="u-ivy", printed_name="Dr Ivy Chen"
        ),
        MemberAdded(
            trial_id="t-1",
            user_id="u-ivy",
            printed_name="Dr Ivy Chen",
            organization_id="site-1",
            added_by="ada",
        ),
    ]
    joined = run(invited, accept(invited))
    member = joined.members["u-ivy"]
    assert (member.printed_name, member.organization_id, member.roles) == (
        "Dr Ivy Chen",
        "site-1",
        frozenset(),
    )
    invitation = joined.invitations["inv-1"]
    assert (invitation.status, invitation.answered_by) == (InvitationStatus.ACCEPTED, "u-ivy")
    assert workspace.pending_for(joined, "ivy") == []


def test_a_member_who_accepted_is_trained_and_granted_roles_as_any_member(
    invited: TrialState,
) -> None:
    joined = run(invited, accept(invited))
    granted = run(
        joined,
        AttestTraining(actor=ada(joined), user_id="u-ivy", training=GCP, attested_at=INVITED_AT),
        GrantRole(actor=ada(joined), user_id="u-ivy", role=Role.INVESTIGATOR, reason="PI"),
    )
    assert workspace.actor_in(granted, "u-ivy").roles == {Role.INVESTIGATOR}


def test_before_accepting_the_invitee_is_no_member_to_train_or_grant(
    invited: TrialState,
) -> None:
    with pytest.raises(errors.MemberNotFound):
        workspace.decide(
            invited,
            AttestTraining(
                actor=ada(invited), user_id="u-ivy", training=GCP, attested_at=INVITED_AT
            ),
        )


def test_only_the_invitee_answers_and_the_refusal_names_nobody(invited: TrialState) -> None:
    intruder = signed_in(invited, "u-mallory", "Mallory", "inv-1")
    for command in (
        AcceptInvitation(actor=intruder, invitation_id="inv-1", username="mallory"),
        DeclineInvitation(actor=intruder, invitation_id="inv-1", username="mallory"),
    ):
        with pytest.raises(errors.NotTheInvitee) as refused:
            workspace.decide(invited, command)
        assert "ivy" not in str(refused.value).casefold()
    # Not even an admin answers for the invitee.
    admin = AcceptInvitation(actor=ada(invited), invitation_id="inv-1", username="ada")
    with pytest.raises(errors.NotTheInvitee):
        workspace.decide(invited, admin)


def test_the_invitee_is_recognised_by_username_without_regard_to_case(
    invited: TrialState,
) -> None:
    assert username_key("Ivy") == username_key("IVY") == username_key(FULL_WIDTH_IVY.lower())
    assert [
        type(e) for e in workspace.decide(invited, accept(invited, username=FULL_WIDTH_IVY))
    ] == [
        InvitationAccepted,
        MemberAdded,
    ]


def test_declining_is_recorded_with_its_reason_and_joins_nobody(invited: TrialState) -> None:
    assert workspace.decide(invited, decline(invited, "No capacity this year")) == [
        InvitationDeclined(
            trial_id="t-1", invitation_id="inv-1", user_id="u-ivy", reason="No capacity this year"
        )
    ]
    declined = run(invited, decline(invited, "No capacity this year"))
    assert "u-ivy" not in declined.members
    invitation = declined.invitations["inv-1"]
    assert (invitation.status, invitation.reason) == (
        InvitationStatus.DECLINED,
        "No capacity this year",
    )


def test_a_reason_for_declining_is_optional(invited: TrialState) -> None:
    assert run(invited, decline(invited)).invitations["inv-1"].reason == ""


def test_an_admin_withdraws_a_pending_invitation(invited: TrialState) -> None:
    withdraw = WithdrawInvitation(actor=ada(invited), invitation_id="inv-1", reason="Wrong site")
    assert workspace.decide(invited, withdraw) == [
        InvitationWithdrawn(
            trial_id="t-1", invitation_id="inv-1", reason="Wrong site", withdrawn_by="ada"
        )
    ]
    withdrawn = run(invited, withdraw)
    assert withdrawn.invitations["inv-1"].status is InvitationStatus.WITHDRAWN
    assert workspace.pending_for(withdrawn, "ivy") == []


@pytest.mark.parametrize("first", ["accept", "decline", "withdraw"])
@pytest.mark.parametrize("then", ["accept", "decline", "withdraw"])
def test_an_invitation_is_answered_or_withdrawn_once(
    invited: TrialState, first: str, then: str
) -> None:
    def command(name: str, state: TrialState) -> workspace.WorkspaceCommand:
        if name == "accept":
            return accept(state)
        if name == "decline":
            return decline(state)
        return WithdrawInvitation(actor=ada(state), invitation_id="inv-1")

    settled = run(invited, command(first, invited))
    with pytest.raises(errors.InvitationNotPending, match="inv-1"):
        workspace.decide(settled, command(then, settled))


def test_an_unknown_invitation_is_not_found(invited: TrialState) -> None:
    with pytest.raises(errors.InvitationNotFound, match="inv-9"):
        workspace.invitee_actor(invited, "inv-9", "u-ivy", "Dr Ivy Chen")
    someone = workspace.actor_in(invited, "ada")
    for command in (
        AcceptInvitation(actor=someone, invitation_id="inv-9", username="ivy"),
        DeclineInvitation(actor=someone, invitation_id="inv-9", username="ivy"),
        WithdrawInvitation(actor=someone, invitation_id="inv-9"),
    ):
        with pytest.raises(errors.InvitationNotFound):
            workspace.decide(invited, command)


def test_the_invitee_acts_for_the_organization_they_are_invited_to(invited: TrialState) -> None:
    actor = signed_in(invited, "u-ivy", "Dr Ivy Chen", "inv-1")
    assert (actor.organization_id, actor.organization_kind, actor.roles) == (
        "site-1",
        OrganizationKind.SITE,
        frozenset(),
    )


def test_an_invitation_is_for_an_admitted_organization(trial: TrialState) -> None:
    elsewhere = replace(invite(trial), organization_id="nowhere")
    with pytest.raises(errors.OrganizationNotFound, match="nowhere"):
        workspace.decide(trial, elsewhere)


@pytest.mark.parametrize("username", ["", " ", "ivy chen", "x" * 65, "ivy<b>"])
def test_an_invitation_names_a_possible_username(trial: TrialState, username: str) -> None:
    with pytest.raises(errors.InvalidUsername):
        workspace.decide(trial, invite(trial, username))


def test_an_invitation_id_is_used_once(invited: TrialState) -> None:
    with pytest.raises(errors.InvitationAlreadyExists, match="inv-1"):
        workspace.decide(invited, invite(invited, "omar"))


def test_one_pending_invitation_per_username(invited: TrialState) -> None:
    with pytest.raises(errors.InvitationAlreadyPending, match="inv-1"):
        workspace.decide(invited, invite(invited, "IVY", "inv-2"))


def test_after_a_decline_or_withdrawal_the_person_can_be_invited_again(
    invited: TrialState,
) -> None:
    declined = run(invited, decline(invited))
    again = run(declined, invite(declined, "ivy", "inv-2"))
    assert [i.invitation_id for i in workspace.pending_for(again, "ivy")] == ["inv-2"]


def test_someone_who_accepted_is_not_invited_again(invited: TrialState) -> None:
    joined = run(invited, accept(invited))
    with pytest.raises(errors.MemberAlreadyAdded, match="ivy is already a member"):
        workspace.decide(joined, invite(joined, "ivy", "inv-2"))


def test_a_member_accepting_another_invitation_is_refused(trial: TrialState) -> None:
    # Ada, a member since she founded the trial, was invited under her username.
    invited = run(trial, invite(trial, "ada"))
    actor = signed_in(invited, "ada", "Ada Admin", "inv-1")
    accepting = AcceptInvitation(actor=actor, invitation_id="inv-1", username="ada")
    with pytest.raises(errors.MemberAlreadyAdded, match="already a member"):
        workspace.decide(invited, accepting)


def test_invitation_times_carry_a_zone(trial: TrialState) -> None:
    naive = replace(invite(trial), invited_at=datetime(2026, 3, 1, 9, 30))
    with pytest.raises(errors.TimestampWithoutZone):
        workspace.decide(trial, naive)


def test_a_member_added_directly_in_an_older_log_still_reads_and_folds(
    trial: TrialState,
) -> None:
    # Before invitations, an admin added members directly; the log keeps those events.
    old = from_data(
        "MemberAdded",
        {
            "trial_id": "t-1",
            "user_id": "u-bob",
            "printed_name": "Bob",
            "organization_id": "site-1",
            "added_by": "ada",
        },
        1,
    )
    assert isinstance(old, MemberAdded)
    assert workspace.fold([old], trial).members["u-bob"].printed_name == "Bob"
