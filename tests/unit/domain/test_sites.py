"""A protocol version takes effect at an investigator site only after the approvals the
charter names for that site (its ethics committee, and a regulator where the charter says
so); the site's investigator or the sponsor's lead then activates it, and it moves only
forward."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from domain import errors, sites
from domain.actor import Actor
from domain.catalog import from_data, to_data
from domain.charter import (
    DEFAULT_CHARTER,
    Charter,
    RoleRule,
    SiteOversight,
    check_charter,
    check_site_oversight,
)
from domain.codec import decode, encode
from domain.frozen import frozen_map, with_entry
from domain.protocol_state import ProtocolState, PublishedVersion
from domain.roles import OrganizationKind, Role
from domain.sites import (
    ActivateSite,
    ApprovalBody,
    RecordSiteApproval,
    SiteContext,
    SiteState,
    pending_versions,
)
from domain.workspace_events import RoleRevoked

NOW = datetime(2026, 5, 4, 11, 0, tzinfo=UTC)
ORG = OrganizationKind

ORGANIZATIONS = {
    "northwind": ORG.SPONSOR,
    "st-marys": ORG.SITE,
    "riverside": ORG.SITE,
    "central-irb": ORG.ETHICS,
    "north-rec": ORG.ETHICS,
    "inspectorate": ORG.REGULATOR,
    "breathe-easy": ORG.ADVOCACY,
}


def charter_with(**oversight: SiteOversight) -> Charter:
    reviewers = RoleRule(
        organization_kinds=frozenset({ORG.ETHICS, ORG.REGULATOR}), training=frozenset()
    )
    roles = with_entry(DEFAULT_CHARTER.roles, Role.ETHICS_REVIEWER, reviewers)
    return replace(DEFAULT_CHARTER, roles=roles, site_oversight=frozen_map(oversight))


CHARTER = charter_with(
    **{
        "st-marys": SiteOversight(ethics_committee="central-irb", regulator="inspectorate"),
        "riverside": SiteOversight(ethics_committee="north-rec"),
    }
)


def version(number: int, amendment_id: str | None = None) -> PublishedVersion:
    return PublishedVersion(
        version=number,
        effective_date="2026-04-01",
        content_hash=f"sha256:{number}",
        changed_sections=frozenset(),
        amendment_id=amendment_id,
        document={},
    )


PROTOCOL = ProtocolState(trial_id="t1", versions=(version(1), version(2, "A-1")))
CONTEXT = SiteContext(charter=CHARTER, organizations=ORGANIZATIONS, protocol=PROTOCOL)


def actor(user_id: str, organization: str, *roles: Role) -> Actor:
    return Actor(
        user_id=user_id,
        printed_name=user_id.title(),
        organization_id=organization,
        organization_kind=ORGANIZATIONS[organization],
        roles=frozenset(roles),
    )


ELENA = actor("elena", "central-irb", Role.ETHICS_REVIEWER)
NORA = actor("nora", "north-rec", Role.ETHICS_REVIEWER)
REGINA = actor("regina", "inspectorate", Role.ETHICS_REVIEWER)
IVY = actor("ivy", "st-marys", Role.INVESTIGATOR)
OMAR = actor("omar", "riverside", Role.INVESTIGATOR)
SAM = actor("sam", "northwind", Role.SPONSOR_LEAD)


def approve(
    who: Actor,
    site: str = "st-marys",
    number: int = 1,
    body: ApprovalBody = ApprovalBody.ETHICS,
    *,
    on: date = date(2026, 5, 1),
    reference: str = "minutes 2026/05 item 2",
) -> RecordSiteApproval:
    return RecordSiteApproval(
        actor=who,
        site_id=site,
        version=number,
        body=body,
        approved_on=on,
        reference=reference,
        recorded_at=NOW,
    )


def activate(who: Actor, site: str = "st-marys", number: int = 1) -> ActivateSite:
    return ActivateSite(actor=who, site_id=site, version=number, activated_at=NOW)


def run(*commands: RecordSiteApproval | ActivateSite, context: SiteContext = CONTEXT) -> SiteState:
    state = sites.NEW_SITE
    for command in commands:
        for event in sites.decide(state, command, context):
            assert from_data(event.event_type, to_data(event)) == event
            state = sites.evolve(state, event)
    return state


def approved_v1() -> SiteState:
    return run(approve(ELENA), approve(REGINA, body=ApprovalBody.REGULATOR))


def test_a_site_runs_a_version_once_its_committee_and_regulator_approved_it() -> None:
    state = run(
        approve(ELENA), approve(REGINA, body=ApprovalBody.REGULATOR), activate(IVY, number=1)
    )
    assert state.version_in_force == 1
    assert state.in_force is not None
    assert state.in_force.activated_at == "2026-05-04T11:00:00.000000Z"
    assert state.in_force.amendment_id is None
    [pending] = pending_versions(state, CHARTER.site_oversight["st-marys"], PROTOCOL)
    assert (pending.version, pending.amendment_id, pending.ready) == (2, "A-1", False)
    assert pending.missing == (
        (ApprovalBody.ETHICS, "central-irb"),
        (ApprovalBody.REGULATOR, "inspectorate"),
    )

    later = run(
        approve(ELENA), approve(REGINA, body=ApprovalBody.REGULATOR), activate(IVY),
        approve(ELENA, number=2), approve(REGINA, number=2, body=ApprovalBody.REGULATOR),
    )  # fmt: skip
    [ready] = pending_versions(later, CHARTER.site_oversight["st-marys"], PROTOCOL)
    assert ready.ready
    moved = sites.evolve(later, sites.decide(later, activate(SAM, number=2), CONTEXT)[0])
    assert moved.version_in_force == 2
    assert moved.in_force is not None
    assert moved.in_force.amendment_id == "A-1"
    assert pending_versions(moved, CHARTER.site_oversight["st-marys"], PROTOCOL) == ()


def test_a_site_is_not_activated_on_a_version_its_approvers_have_not_approved() -> None:
    with pytest.raises(errors.SiteApprovalMissing, match="central-irb's \\(ethics\\)"):
        run(activate(IVY))
    only_ethics = run(approve(ELENA))
    with pytest.raises(errors.SiteApprovalMissing, match="inspectorate's \\(regulator\\)"):
        sites.decide(only_ethics, activate(IVY), CONTEXT)
    # Another site's committee approving does not count for this one.
    riverside = run(approve(NORA, site="riverside"))
    assert riverside.approvals[1][0].organization_id == "north-rec"
    with pytest.raises(errors.SiteApprovalMissing):
        sites.decide(run(approve(NORA, site="riverside")), activate(IVY), CONTEXT)


def test_an_approval_by_a_committee_the_charter_no_longer_names_does_not_count() -> None:
    approved = run(approve(NORA, site="riverside"))
    moved = charter_with(riverside=SiteOversight(ethics_committee="central-irb"))
    context = replace(CONTEXT, charter=moved)
    with pytest.raises(errors.SiteApprovalMissing, match="central-irb"):
        sites.decide(approved, activate(OMAR, site="riverside"), context)
    again = sites.decide(approved, approve(ELENA, site="riverside"), context)
    assert sites.decide(sites.fold(again, approved), activate(OMAR, site="riverside"), context)


def test_only_a_reviewer_of_the_body_the_charter_names_for_the_site_records_its_approval() -> None:
    for who, site, body in (
        (NORA, "st-marys", ApprovalBody.ETHICS),  # another committee's reviewer
        (ELENA, "riverside", ApprovalBody.ETHICS),  # covers St Mary's, not Riverside
        (ELENA, "st-marys", ApprovalBody.REGULATOR),  # a committee is not the regulator
        (actor("eve", "central-irb"), "st-marys", ApprovalBody.ETHICS),  # no reviewer role
        (IVY, "st-marys", ApprovalBody.ETHICS),
    ):
        with pytest.raises(errors.NotSiteApprover):
            run(approve(who, site, body=body))
    with pytest.raises(errors.SiteApprovalNotRequired, match="no regulator's approval"):
        run(approve(REGINA, "riverside", body=ApprovalBody.REGULATOR))


def test_only_the_sites_investigator_or_the_sponsors_lead_activates_it() -> None:
    state = approved_v1()
    for who in (OMAR, ELENA, actor("sid", "st-marys", Role.SITE_STAFF)):
        with pytest.raises(errors.NotSiteActivator):
            sites.decide(state, activate(who), CONTEXT)
    # A sponsor lead's role held outside a sponsor organization does not do.
    lead_elsewhere = actor("lee", "breathe-easy", Role.SPONSOR_LEAD)
    with pytest.raises(errors.NotSiteActivator):
        sites.decide(state, activate(lead_elsewhere), CONTEXT)
    assert sites.decide(state, activate(SAM), CONTEXT)


def test_a_site_moves_only_forward() -> None:
    state = run(
        approve(ELENA), approve(REGINA, body=ApprovalBody.REGULATOR), activate(IVY),
        approve(ELENA, number=2), approve(REGINA, number=2, body=ApprovalBody.REGULATOR),
        activate(IVY, number=2),
    )  # fmt: skip
    for number in (1, 2):
        with pytest.raises(errors.SiteVersionNotNewer, match="already has version 2"):
            sites.decide(state, activate(IVY, number=number), CONTEXT)
    assert [a.version for a in state.activations] == [1, 2]


def test_what_a_site_approval_names_must_exist_and_be_plausible() -> None:
    with pytest.raises(errors.SiteNotFound):
        run(approve(ELENA, site="central-irb"))  # an ethics organization, not a site
    with pytest.raises(errors.SiteNotFound):
        run(activate(IVY, site="nowhere"))
    with pytest.raises(errors.ProtocolVersionNotFound, match="no published version 3"):
        run(approve(ELENA, number=3))
    with pytest.raises(errors.ProtocolVersionNotFound):
        run(activate(SAM, number=3))
    with pytest.raises(errors.RequiredTextMissing):
        run(approve(ELENA, reference="  "))
    # Today anywhere on Earth is the latest date: 5 May already in Kiribati at 11:00 UTC.
    assert run(approve(ELENA, on=date(2026, 5, 5))).approvals[1][0].approved_on == "2026-05-05"
    with pytest.raises(errors.SiteApprovalInFuture, match="2026-05-06"):
        run(approve(ELENA, on=date(2026, 5, 6)))
    with pytest.raises(errors.SiteApprovalAlreadyRecorded):
        run(approve(ELENA), approve(ELENA, reference="again"))


def test_a_site_the_charter_names_no_committee_for_cannot_be_approved_or_activated() -> None:
    bare = replace(CONTEXT, charter=DEFAULT_CHARTER)
    with pytest.raises(errors.SiteNotOverseen):
        run(approve(ELENA), context=bare)
    with pytest.raises(errors.SiteNotOverseen):
        run(activate(SAM), context=bare)
    [first, second] = pending_versions(sites.NEW_SITE, None, PROTOCOL)
    assert first.missing == ((ApprovalBody.ETHICS, ""),)
    assert not second.ready


def test_the_charter_names_admitted_organizations_of_the_right_kinds() -> None:
    check_charter(CHARTER)
    sites_named = dict(ORGANIZATIONS)
    check_site_oversight(CHARTER, sites_named)
    wrong = charter_with(**{"central-irb": SiteOversight(ethics_committee="st-marys")})
    with pytest.raises(errors.InvalidCharter) as refused:
        check_site_oversight(wrong, sites_named)
    assert "site 'central-irb' is not an admitted site organization" in str(refused.value)
    assert "ethics committee 'st-marys' is not an admitted ethics" in str(refused.value)
    gone = charter_with(riverside=SiteOversight(ethics_committee="north-rec", regulator="x"))
    with pytest.raises(errors.InvalidCharter, match="regulator 'x' is not an admitted"):
        check_site_oversight(gone, sites_named)


def test_a_charter_whose_site_approvals_nobody_could_record_is_refused() -> None:
    closed = replace(
        DEFAULT_CHARTER,
        site_oversight=frozen_map(
            {"st-marys": SiteOversight(ethics_committee="central-irb", regulator="inspectorate")}
        ),
    )
    with pytest.raises(errors.InvalidCharter, match="not open to regulator organizations"):
        check_charter(closed)
    blank = replace(
        DEFAULT_CHARTER,
        site_oversight=frozen_map({"st-marys": SiteOversight(ethics_committee=" ")}),
    )
    with pytest.raises(errors.InvalidCharter, match="needs a site and an ethics committee"):
        check_charter(blank)


def test_an_event_of_another_stream_leaves_a_site_as_it_was() -> None:
    state = approved_v1()
    foreign = RoleRevoked(
        trial_id="t1", user_id="ivy", role=Role.INVESTIGATOR, reason="x", revoked_by="a"
    )
    assert sites.evolve(state, foreign) is state  # type: ignore[arg-type]


def test_a_sites_state_survives_the_codec_its_snapshots_are_written_with() -> None:
    state = run(approve(ELENA), approve(REGINA, body=ApprovalBody.REGULATOR), activate(IVY))
    encoded = encode(state)
    assert isinstance(encoded, dict)
    assert decode(SiteState, encoded) == state
