"""Role and organization names are stable identifiers: rbac's policy is written with them."""

from __future__ import annotations

from domain.actor import Actor
from domain.roles import OrganizationKind, Role


def test_the_eight_governance_roles() -> None:
    assert [role.value for role in Role] == [
        "trial_admin",
        "sponsor_lead",
        "sponsor_member",
        "investigator",
        "site_staff",
        "patient_advocate",
        "ethics_reviewer",
        "auditor",
    ]


def test_the_six_kinds_of_organization() -> None:
    assert {kind.value for kind in OrganizationKind} == {
        "sponsor", "site", "advocacy", "cro", "ethics", "regulator",
    }  # fmt: skip


def test_an_actor_holds_any_of_some_roles() -> None:
    actor = Actor(
        user_id="ivy",
        printed_name="Ivy",
        organization_id="site-1",
        organization_kind=OrganizationKind.SITE,
        roles=frozenset({Role.INVESTIGATOR}),
    )
    assert actor.holds_any(frozenset({Role.INVESTIGATOR, Role.SPONSOR_LEAD}))
    assert not actor.holds_any(frozenset({Role.SPONSOR_LEAD}))
