"""Checks several amendment decisions share: status, authorship, conflicts."""

from __future__ import annotations

import pytest

from domain import errors
from domain.actor import Actor
from domain.amendment import AmendmentContext, AmendmentState, AmendmentStatus
from domain.amendment_rules import conflicting_sections, require_not_author, require_status
from domain.protocol_events import SectionText
from tests.unit.domain.steps import OtherMerge


def test_a_status_check_names_the_action_the_status_and_what_is_needed(
    draft: AmendmentState,
) -> None:
    require_status(draft, {AmendmentStatus.DRAFT}, "submit")
    with pytest.raises(errors.WrongAmendmentStatus) as refused:
        require_status(draft, {AmendmentStatus.SUBMITTED, AmendmentStatus.APPROVED}, "merge")
    assert str(refused.value) == (
        "cannot merge amendment A-1 while it is draft; it must be approved or submitted"
    )


def test_authors_are_refused_by_name(
    draft: AmendmentState, investigator: Actor, sponsor_lead: Actor
) -> None:
    require_not_author(draft, sponsor_lead, "approve")
    with pytest.raises(
        errors.SeparationOfDuties, match="ivy is an author of amendment A-1 and cannot approve it"
    ):
        require_not_author(draft, investigator, "approve")


def test_conflicting_sections_name_the_amendments_that_changed_them(
    draft: AmendmentState, context: AmendmentContext, merged_elsewhere: OtherMerge
) -> None:
    criteria = SectionText(number="5.2", heading="Inclusion Criteria", text="x")
    population = SectionText(number="5", heading="Trial Population", text="y")
    version_2 = merged_elsewhere(context.protocol, criteria)
    version_3 = merged_elsewhere(version_2, population)
    assert conflicting_sections(draft, version_3) == {"5.2": ("B-1", "B-2")}
    assert conflicting_sections(draft, context.protocol) == {}
