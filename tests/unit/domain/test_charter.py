"""The governance charter: exact shares, the default charter, and what makes one invalid."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.charter import (
    DEFAULT_CHARTER,
    EscalationLevel,
    QuorumRule,
    RoleRule,
    Signatories,
    Threshold,
    check_charter,
)
from domain.errors import InvalidCharter
from domain.frozen import without_entry
from domain.roles import OrganizationKind, Role

HALF = Threshold(numerator=1, denominator=2)
MORE_THAN_HALF = Threshold(numerator=1, denominator=2, inclusive=False)

thresholds = st.builds(
    lambda n, d, inclusive: Threshold(numerator=n, denominator=d, inclusive=inclusive),
    st.integers(1, 10),
    st.integers(1, 10),
    st.booleans(),
)


def test_at_least_half_includes_the_half_and_more_than_half_does_not() -> None:
    assert HALF.is_met(2, 4)
    assert not MORE_THAN_HALF.is_met(2, 4)
    assert MORE_THAN_HALF.is_met(3, 4)
    assert str(HALF) == "at least 1/2"
    assert str(MORE_THAN_HALF) == "more than 1/2"


@given(thresholds, st.integers(0, 50))
def test_the_smallest_part_is_the_first_part_that_meets_the_share(
    share: Threshold, whole: int
) -> None:
    smallest = share.smallest_part(whole)
    assert share.is_met(smallest, whole)
    assert smallest == 0 or not share.is_met(smallest - 1, whole)


@given(thresholds, st.integers(0, 50), st.integers(1, 50))
def test_shares_compare_exactly_like_fractions(share: Threshold, part: int, whole: int) -> None:
    exact = Fraction(part, whole)
    limit = Fraction(share.numerator, share.denominator)
    assert share.is_met(part, whole) == (exact >= limit if share.inclusive else exact > limit)


def test_a_quorum_needs_at_least_one_vote_and_some_eligible_voters() -> None:
    rule = QuorumRule(name="half", participation=HALF, majority=MORE_THAN_HALF)
    assert rule.votes_needed(1) == 1
    assert rule.votes_needed(5) == 3
    assert rule.is_quorate(3, 5)
    assert not rule.is_quorate(2, 5)
    assert not rule.is_quorate(0, 0)


def test_the_default_charter_is_consistent() -> None:
    check_charter(DEFAULT_CHARTER)


def test_the_default_charter_opens_every_role_with_training() -> None:
    for role in Role:
        rule = DEFAULT_CHARTER.role_rule(role)
        assert rule.organization_kinds, role
        assert rule.training, role


def test_the_default_charter_names_who_signs_and_who_settles_disputes() -> None:
    approval = DEFAULT_CHARTER.approval
    assert approval.sponsor_approval.admit(frozenset({Role.SPONSOR_LEAD}), OrganizationKind.SPONSOR)
    assert not approval.sponsor_approval.admit(frozenset({Role.SPONSOR_LEAD}), OrganizationKind.CRO)
    assert approval.participant_facing_sections == {"1.3", "11.3", "lay-summary"}
    assert [level.name for level in DEFAULT_CHARTER.escalation_ladder] == [
        "Protocol team",
        "Trial steering committee",
        "Ethics committee",
    ]


def test_quorum_rules_are_found_by_name() -> None:
    rule = DEFAULT_CHARTER.quorum_rule("two-thirds")
    assert rule is not None
    assert rule.majority == Threshold(numerator=2, denominator=3)
    assert DEFAULT_CHARTER.quorum_rule("plurality") is None


def test_a_role_the_charter_does_not_mention_is_open_to_nobody() -> None:
    charter = replace(DEFAULT_CHARTER, roles=without_entry(DEFAULT_CHARTER.roles, Role.AUDITOR))
    assert charter.role_rule(Role.AUDITOR) == RoleRule(
        organization_kinds=frozenset(), training=frozenset()
    )


IMPOSSIBLE = Threshold(numerator=1, denominator=1, inclusive=False)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"quorum_rules": ()}, "at least one quorum rule"),
        (
            {"quorum_rules": (QuorumRule(name="x", participation=HALF, majority=IMPOSSIBLE),)},
            "quorum rule 'x': majority more than 1/1 cannot be met",
        ),
        (
            {"quorum_rules": (QuorumRule(name="x", participation=HALF, majority=HALF),) * 2},
            "quorum rule names must be unique",
        ),
        (
            {"escalation_ladder": (EscalationLevel(name="Team", resolver_roles=frozenset()),)},
            "escalation level 'Team' names no role",
        ),
        ({"roles": without_entry(DEFAULT_CHARTER.roles, Role.AUDITOR)}, "missing ['auditor']"),
    ],
)
def test_an_inconsistent_charter_is_refused_with_the_reason(
    change: dict[str, object], problem: str
) -> None:
    with pytest.raises(InvalidCharter) as refused:
        check_charter(replace(DEFAULT_CHARTER, **change))  # type: ignore[arg-type]
    assert problem in str(refused.value)


def test_signatories_and_participant_facing_sections_must_make_sense() -> None:
    nobody = Signatories(roles=frozenset(), organization_kinds=frozenset())
    approval = replace(
        DEFAULT_CHARTER.approval,
        ethics_approval=nobody,
        participant_facing_sections=frozenset({"consent form"}),
    )
    with pytest.raises(InvalidCharter) as refused:
        check_charter(replace(DEFAULT_CHARTER, approval=approval))
    assert "ethics approval needs at least one role" in str(refused.value)
    assert "['consent form'] are not M11 section numbers" in str(refused.value)
