"""The trial workspace: organizations, members, training before roles (attested by someone
else, never in the future, withdrawable), reasons, charter (invitations:
test_workspace_invitations.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from domain import errors, workspace
from domain.actor import Actor
from domain.charter import DEFAULT_CHARTER, ETHICS_TRAINING, GCP_TRAINING
from domain.roles import OrganizationKind, Role
from domain.workspace import (
    AdmitOrganization,
    AmendCharter,
    AttestTraining,
    CreateTrial,
    GrantRole,
    RevokeRole,
    TrainingRecord,
    TrialState,
    WithdrawTraining,
)
from domain.workspace_events import (
    CharterAmended,
    MemberAdded,
    OrganizationAdmitted,
    RoleGranted,
    RoleRevoked,
    TrainingAttestationWithdrawn,
    TrainingAttested,
    TrialCreated,
)
from tests.unit.domain.steps import joining, runner

GCP = TrainingRecord(course=GCP_TRAINING, completed_on=date(2025, 6, 1))
FOUNDERS_GCP = replace(GCP, attested_by="olga")
"""Ada's GCP as her account records it: attested by Olga, a system administrator."""
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
"""The server's clock when the commands are made."""


run = runner(workspace.decide, workspace.fold)


def create_trial(founder: Actor, *training: TrainingRecord) -> CreateTrial:
    """Trial t-1 (ACME-101), founded by ``founder`` of ACME Pharma with ``training``, at
    NOW."""
    return CreateTrial(
        actor=founder,
        trial_id="t-1",
        title="ACME-101",
        organization_name="ACME Pharma",
        founder_training=training,
        founded_at=NOW,
    )


def attest(admin: Actor, user_id: str, training: TrainingRecord) -> AttestTraining:
    return AttestTraining(actor=admin, user_id=user_id, training=training, attested_at=NOW)


@pytest.fixture(scope="module")
def founder(admin: Actor) -> Actor:
    """Ada of ACME (a sponsor), before the trial exists: no roles yet."""
    return replace(admin, roles=frozenset())


@pytest.fixture(scope="module")
def created(founder: Actor) -> TrialState:
    return run(workspace.NEW_TRIAL, create_trial(founder, FOUNDERS_GCP))


@pytest.fixture(scope="module")
def trial(created: TrialState, founder: Actor) -> TrialState:
    """The created trial with a site and Ivy, a site member trained in GCP (no role yet)."""
    admin = workspace.actor_in(created, founder.user_id)
    return run(
        created,
        AdmitOrganization(
            actor=admin, organization_id="site-1", name="City Hospital", kind=OrganizationKind.SITE
        ),
        *joining(admin, "ivy", "Ivy Investigator", "site-1", OrganizationKind.SITE),
        attest(admin, "ivy", GCP),
    )


def admin_of(state: TrialState) -> Actor:
    return workspace.actor_in(state, "ada")


def test_creating_a_trial_admits_the_founders_organization_and_makes_them_trial_admin(
    founder: Actor,
) -> None:
    assert workspace.decide(workspace.NEW_TRIAL, create_trial(founder, FOUNDERS_GCP)) == [
        TrialCreated(trial_id="t-1", title="ACME-101", charter=DEFAULT_CHARTER, created_by="ada"),
        OrganizationAdmitted(
            trial_id="t-1",
            organization_id="acme",
            name="ACME Pharma",
            kind=OrganizationKind.SPONSOR,
            admitted_by="ada",
        ),
        MemberAdded(
            trial_id="t-1",
            user_id="ada",
            printed_name="Ada Admin",
            organization_id="acme",
            added_by="ada",
        ),
        TrainingAttested(
            trial_id="t-1",
            user_id="ada",
            course=GCP_TRAINING,
            completed_on="2025-06-01",
            attested_by="olga",
        ),
        RoleGranted(
            trial_id="t-1",
            user_id="ada",
            role=Role.TRIAL_ADMIN,
            reason="founding administrator of the trial",
            granted_by="ada",
        ),
    ]


def test_a_new_trial_gets_the_default_charter(created: TrialState) -> None:
    assert created.charter == DEFAULT_CHARTER
    assert admin_of(created).roles == {Role.TRIAL_ADMIN}


def test_the_founder_needs_the_training_the_charter_requires(founder: Actor) -> None:
    with pytest.raises(errors.TrainingNotAttested, match=re.escape(GCP_TRAINING)):
        workspace.decide(workspace.NEW_TRIAL, create_trial(founder))


def test_the_founders_organization_must_be_one_trial_admins_may_come_from(
    founder: Actor,
) -> None:
    from_a_site = replace(founder, organization_kind=OrganizationKind.SITE)
    with pytest.raises(errors.RoleNotOpenToOrganization, match="site organizations"):
        workspace.decide(workspace.NEW_TRIAL, create_trial(from_a_site, FOUNDERS_GCP))


def test_a_trial_is_created_once(created: TrialState, founder: Actor) -> None:
    with pytest.raises(errors.TrialAlreadyExists):
        workspace.decide(created, create_trial(founder, FOUNDERS_GCP))


def test_commands_need_an_existing_trial(founder: Actor) -> None:
    with pytest.raises(errors.TrialNotFound):
        workspace.decide(
            workspace.NEW_TRIAL,
            GrantRole(actor=founder, user_id="x", role=Role.AUDITOR, reason="r"),
        )


def test_an_organization_is_admitted_once(trial: TrialState) -> None:
    again = AdmitOrganization(
        actor=admin_of(trial), organization_id="site-1", name="Again", kind=OrganizationKind.SITE
    )
    with pytest.raises(errors.OrganizationAlreadyAdmitted):
        workspace.decide(trial, again)


def test_a_role_is_granted_with_a_reason_after_training(trial: TrialState) -> None:
    grant = GrantRole(
        actor=admin_of(trial), user_id="ivy", role=Role.INVESTIGATOR, reason="PI at site 1"
    )
    assert workspace.decide(trial, grant) == [
        RoleGranted(
            trial_id="t-1",
            user_id="ivy",
            role=Role.INVESTIGATOR,
            reason="PI at site 1",
            granted_by="ada",
        )
    ]
    assert workspace.actor_in(run(trial, grant), "ivy").roles == {Role.INVESTIGATOR}


def test_a_role_grant_needs_a_reason(trial: TrialState) -> None:
    grant = GrantRole(actor=admin_of(trial), user_id="ivy", role=Role.INVESTIGATOR, reason="")
    with pytest.raises(errors.RequiredTextMissing, match="reason for granting investigator"):
        workspace.decide(trial, grant)


def test_a_role_grant_needs_the_roles_training(trial: TrialState) -> None:
    admin = admin_of(trial)
    ethics = run(
        trial,
        AdmitOrganization(
            actor=admin, organization_id="irb", name="IRB", kind=OrganizationKind.ETHICS
        ),
        *joining(admin, "eve", "Eve", "irb", OrganizationKind.ETHICS),
    )
    grant = GrantRole(actor=admin, user_id="eve", role=Role.ETHICS_REVIEWER, reason="IRB chair")
    with pytest.raises(errors.TrainingNotAttested, match="eve needs attested training in Research"):
        workspace.decide(ethics, grant)
    trained = run(
        ethics,
        attest(admin, "eve", TrainingRecord(course=ETHICS_TRAINING, completed_on=date(2025, 1, 1))),
    )
    assert [type(e) for e in workspace.decide(trained, grant)] == [RoleGranted]


def test_a_role_is_open_only_to_the_organization_kinds_the_charter_names(trial: TrialState) -> None:
    grant = GrantRole(actor=admin_of(trial), user_id="ivy", role=Role.SPONSOR_LEAD, reason="r")
    with pytest.raises(errors.RoleNotOpenToOrganization, match="sponsor_lead to members of site"):
        workspace.decide(trial, grant)


def test_nobody_grants_a_role_to_themself(trial: TrialState) -> None:
    grant = GrantRole(actor=admin_of(trial), user_id="ada", role=Role.AUDITOR, reason="r")
    with pytest.raises(errors.SeparationOfDuties, match="ada cannot grant a role to themself"):
        workspace.decide(trial, grant)


def test_a_role_is_granted_once(trial: TrialState) -> None:
    grant = GrantRole(actor=admin_of(trial), user_id="ivy", role=Role.INVESTIGATOR, reason="PI")
    with pytest.raises(errors.RoleAlreadyHeld):
        workspace.decide(run(trial, grant), grant)


def test_roles_go_to_members_only(trial: TrialState) -> None:
    grant = GrantRole(actor=admin_of(trial), user_id="zed", role=Role.INVESTIGATOR, reason="PI")
    with pytest.raises(errors.MemberNotFound, match="zed"):
        workspace.decide(trial, grant)


def test_a_revoke_states_a_reason_and_removes_the_role(trial: TrialState) -> None:
    admin = admin_of(trial)
    granted = run(trial, GrantRole(actor=admin, user_id="ivy", role=Role.INVESTIGATOR, reason="PI"))
    revoke = RevokeRole(actor=admin, user_id="ivy", role=Role.INVESTIGATOR, reason="left the site")
    assert workspace.decide(granted, revoke) == [
        RoleRevoked(
            trial_id="t-1",
            user_id="ivy",
            role=Role.INVESTIGATOR,
            reason="left the site",
            revoked_by="ada",
        )
    ]
    assert workspace.actor_in(run(granted, revoke), "ivy").roles == frozenset()
    with pytest.raises(errors.RequiredTextMissing, match="reason for revoking"):
        workspace.decide(granted, replace(revoke, reason=""))


def test_only_a_held_role_is_revoked(trial: TrialState) -> None:
    revoke = RevokeRole(actor=admin_of(trial), user_id="ivy", role=Role.INVESTIGATOR, reason="r")
    with pytest.raises(errors.RoleNotHeld):
        workspace.decide(trial, revoke)


def test_the_last_trial_admin_keeps_the_role(trial: TrialState) -> None:
    revoke = RevokeRole(
        actor=admin_of(trial), user_id="ada", role=Role.TRIAL_ADMIN, reason="leaving"
    )
    with pytest.raises(errors.LastTrialAdmin):
        workspace.decide(trial, revoke)


def test_training_can_be_refreshed(trial: TrialState) -> None:
    refresher = TrainingRecord(course=GCP_TRAINING, completed_on=date(2026, 6, 1))
    refreshed = run(trial, attest(admin_of(trial), "ivy", refresher))
    assert refreshed.members["ivy"].training == {GCP_TRAINING: "2026-06-01"}


def test_the_charter_is_amended_with_a_reason(trial: TrialState) -> None:
    stricter = replace(DEFAULT_CHARTER, quorum_rules=DEFAULT_CHARTER.quorum_rules[1:])
    amend = AmendCharter(actor=admin_of(trial), charter=stricter, reason="majority is too weak")
    assert workspace.decide(trial, amend) == [
        CharterAmended(
            trial_id="t-1", charter=stricter, reason="majority is too weak", amended_by="ada"
        )
    ]
    assert run(trial, amend).charter == stricter
    with pytest.raises(errors.RequiredTextMissing):
        workspace.decide(trial, replace(amend, reason=" "))


def test_an_inconsistent_charter_is_refused(trial: TrialState) -> None:
    broken = replace(DEFAULT_CHARTER, escalation_ladder=())
    amend = AmendCharter(actor=admin_of(trial), charter=broken, reason="simplify")
    with pytest.raises(errors.InvalidCharter, match="escalation ladder needs at least one level"):
        workspace.decide(trial, amend)


def test_the_actor_of_a_non_member_is_refused(trial: TrialState) -> None:
    with pytest.raises(errors.MemberNotFound):
        workspace.actor_in(trial, "zed")


def test_the_state_at_any_position_is_the_fold_of_the_events_before_it(
    founder: Actor,
) -> None:
    events = workspace.decide(workspace.NEW_TRIAL, create_trial(founder, FOUNDERS_GCP))
    before_grant = workspace.fold(events[:-1])
    assert before_grant.members["ada"].roles == frozenset()
    assert workspace.fold(events).holders(Role.TRIAL_ADMIN) == {"ada"}


# -- plausible training ------------------------------------------------------------------


def test_an_attestation_records_the_actor_as_its_attester(trial: TrialState) -> None:
    ethics = TrainingRecord(course=ETHICS_TRAINING, completed_on=date(2026, 6, 1))
    assert workspace.decide(trial, attest(admin_of(trial), "ivy", ethics)) == [
        TrainingAttested(
            trial_id="t-1",
            user_id="ivy",
            course=ETHICS_TRAINING,
            completed_on="2026-06-01",
            attested_by="ada",
        )
    ]


def test_a_completion_date_in_the_future_is_refused(trial: TrialState) -> None:
    # NOW is 2026-06-15 12:00 UTC: already 2026-06-16 in Kiribati (UTC+14), nowhere later.
    today_somewhere = TrainingRecord(course=GCP_TRAINING, completed_on=date(2026, 6, 16))
    refreshed = run(trial, attest(admin_of(trial), "ivy", today_somewhere))
    assert refreshed.members["ivy"].training == {GCP_TRAINING: "2026-06-16"}
    tomorrow = TrainingRecord(course=GCP_TRAINING, completed_on=date(2026, 6, 17))
    with pytest.raises(errors.TrainingDateInFuture, match="2026-06-17 lies in the future"):
        workspace.decide(trial, attest(admin_of(trial), "ivy", tomorrow))


def test_the_attesting_time_carries_a_zone(trial: TrialState) -> None:
    naive = replace(attest(admin_of(trial), "ivy", GCP), attested_at=datetime(2026, 6, 15))
    with pytest.raises(errors.TimestampWithoutZone, match="attested_at"):
        workspace.decide(trial, naive)


def test_nobody_attests_their_own_training(trial: TrialState) -> None:
    own = attest(
        admin_of(trial),
        "ada",
        TrainingRecord(course=ETHICS_TRAINING, completed_on=date(2026, 1, 1)),
    )
    with pytest.raises(
        errors.SelfAttestedTraining, match=r"another member \(e.g. a trial admin\) must attest it"
    ):
        workspace.decide(trial, own)


def test_an_attestation_names_no_attester_but_the_actor(trial: TrialState) -> None:
    vouched = attest(admin_of(trial), "ivy", replace(GCP, attested_by="olga"))
    with pytest.raises(errors.AttesterMismatch, match="ada attests this training"):
        workspace.decide(trial, vouched)
    assert [
        type(e)
        for e in workspace.decide(
            trial, attest(admin_of(trial), "ivy", replace(GCP, attested_by="ada"))
        )
    ] == [TrainingAttested]


def test_the_founder_does_not_attest_their_own_training(founder: Actor) -> None:
    with pytest.raises(errors.SelfAttestedTraining, match="ada cannot attest their own"):
        workspace.decide(
            workspace.NEW_TRIAL, create_trial(founder, replace(GCP, attested_by="ada"))
        )


def test_the_founders_training_names_who_attested_it(founder: Actor) -> None:
    with pytest.raises(errors.RequiredTextMissing, match="who attested ada's"):
        workspace.decide(workspace.NEW_TRIAL, create_trial(founder, GCP))


def test_the_founders_training_is_not_dated_in_the_future(founder: Actor) -> None:
    future = replace(FOUNDERS_GCP, completed_on=date(2026, 7, 1))
    with pytest.raises(errors.TrainingDateInFuture, match="2026-07-01"):
        workspace.decide(workspace.NEW_TRIAL, create_trial(founder, future))


def test_old_logs_with_founders_attesting_themselves_still_replay(founder: Actor) -> None:
    events = workspace.decide(workspace.NEW_TRIAL, create_trial(founder, FOUNDERS_GCP))
    old = [replace(e, attested_by="ada") if isinstance(e, TrainingAttested) else e for e in events]
    replayed = workspace.fold(old)
    assert replayed.members["ada"].training == {GCP_TRAINING: "2025-06-01"}
    assert replayed.holders(Role.TRIAL_ADMIN) == {"ada"}


def withdraw(state: TrialState, user_id: str, course: str, reason: str) -> WithdrawTraining:
    return WithdrawTraining(actor=admin_of(state), user_id=user_id, course=course, reason=reason)


def test_a_mistaken_attestation_is_withdrawn_with_a_reason(trial: TrialState) -> None:
    mistake = withdraw(trial, "ivy", GCP_TRAINING, "certificate belongs to another Ivy")
    assert workspace.decide(trial, mistake) == [
        TrainingAttestationWithdrawn(
            trial_id="t-1",
            user_id="ivy",
            course=GCP_TRAINING,
            completed_on="2025-06-01",
            reason="certificate belongs to another Ivy",
            withdrawn_by="ada",
        )
    ]
    withdrawn = run(trial, mistake)
    assert withdrawn.members["ivy"].training == {}
    grant = GrantRole(actor=admin_of(withdrawn), user_id="ivy", role=Role.INVESTIGATOR, reason="PI")
    with pytest.raises(errors.TrainingNotAttested, match="ivy needs attested training"):
        workspace.decide(withdrawn, grant)
    again = run(
        withdrawn, attest(admin_of(withdrawn), "ivy", replace(GCP, completed_on=date(2026, 2, 1)))
    )
    assert again.members["ivy"].training == {GCP_TRAINING: "2026-02-01"}


def test_a_withdrawal_states_a_reason(trial: TrialState) -> None:
    with pytest.raises(errors.RequiredTextMissing, match="reason for withdrawing ivy's"):
        workspace.decide(trial, withdraw(trial, "ivy", GCP_TRAINING, "  "))


def test_only_attested_training_is_withdrawn(trial: TrialState) -> None:
    with pytest.raises(errors.TrainingAttestationNotFound, match="ivy has no attested training"):
        workspace.decide(trial, withdraw(trial, "ivy", ETHICS_TRAINING, "mistake"))
    with pytest.raises(errors.MemberNotFound, match="zed"):
        workspace.decide(trial, withdraw(trial, "zed", GCP_TRAINING, "mistake"))


def test_training_a_held_role_requires_stays_until_the_role_is_revoked(trial: TrialState) -> None:
    admin = admin_of(trial)
    granted = run(trial, GrantRole(actor=admin, user_id="ivy", role=Role.INVESTIGATOR, reason="PI"))
    mistake = withdraw(granted, "ivy", GCP_TRAINING, "wrong person")
    with pytest.raises(errors.TrainingStillRequired, match="revoke investigator first"):
        workspace.decide(granted, mistake)
    revoked = run(
        granted, RevokeRole(actor=admin, user_id="ivy", role=Role.INVESTIGATOR, reason="untrained")
    )
    assert [type(e) for e in workspace.decide(revoked, mistake)] == [TrainingAttestationWithdrawn]


def test_the_founders_own_training_stays_while_they_are_trial_admin(trial: TrialState) -> None:
    with pytest.raises(errors.TrainingStillRequired, match="ada holds trial_admin"):
        workspace.decide(trial, withdraw(trial, "ada", GCP_TRAINING, "mistake"))
