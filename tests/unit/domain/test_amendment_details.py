"""M11 amendment details and the generated summary of changes."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from domain import errors
from domain.amendment_details import (
    AmendmentDetails,
    AmendmentScope,
    ChangeSummaryRow,
    Enrollment,
    EnrollmentUnit,
    ImpactAssessment,
    ProposedChange,
    check_details,
    summary_of_changes,
)
from domain.m11 import AmendmentReason
from domain.protocol_events import SectionText


def test_complete_details_pass(details: AmendmentDetails) -> None:
    check_details(details)
    assert details.scope.is_global


@pytest.mark.parametrize(
    ("safety", "data", "substantial"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_yes_to_either_impact_question_makes_it_substantial(
    details: AmendmentDetails, safety: bool, data: bool, substantial: bool
) -> None:
    answered = replace(
        details,
        safety_or_rights_impact=ImpactAssessment(likely=safety, explanation="e"),
        data_reliability_impact=ImpactAssessment(likely=data, explanation="e"),
    )
    assert answered.is_substantial is substantial


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"summary": " "}, errors.RequiredTextMissing, "the amendment summary is required"),
        (
            {"safety_or_rights_impact": ImpactAssessment(likely=True, explanation="")},
            errors.RequiredTextMissing,
            "impact on participants' safety or rights",
        ),
        (
            {"data_reliability_impact": ImpactAssessment(likely=False, explanation="")},
            errors.RequiredTextMissing,
            "reliability and robustness of the data",
        ),
        (
            {"secondary_reasons": (AmendmentReason.RECRUITMENT_DIFFICULTY,)},
            errors.InvalidAmendmentDetails,
            "'Recruitment Difficulty' is the primary reason",
        ),
        (
            {"secondary_reasons": (AmendmentReason.OTHER, AmendmentReason.OTHER)},
            errors.InvalidAmendmentDetails,
            "a secondary reason is listed twice",
        ),
        (
            {"enrollment": Enrollment(value=120, unit=EnrollmentUnit.PERCENT)},
            errors.InvalidAmendmentDetails,
            "enrollment of 120 percent is not possible",
        ),
        (
            {"enrollment": Enrollment(value=-1, unit=EnrollmentUnit.PARTICIPANTS)},
            errors.InvalidAmendmentDetails,
            "enrollment of -1 participants",
        ),
        (
            {"scope": AmendmentScope(countries=("DE", "DE"))},
            errors.InvalidAmendmentDetails,
            "every country in the scope must be named once",
        ),
        (
            {"scope": AmendmentScope(sites=("",))},
            errors.InvalidAmendmentDetails,
            "every site in the scope",
        ),
    ],
)
def test_incomplete_or_inconsistent_details_are_refused(
    details: AmendmentDetails,
    change: dict[str, object],
    error: type[errors.DomainError],
    message: str,
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        check_details(replace(details, **change))  # type: ignore[arg-type]


def test_a_scope_with_countries_or_sites_is_not_global() -> None:
    assert not AmendmentScope(countries=("DE",)).is_global
    assert not AmendmentScope(sites=("site-1",)).is_global


def change(number: str, description: str, rationale: str = "why") -> ProposedChange:
    return ProposedChange(
        number=number, heading="H", text="t", description=description, rationale=rationale
    )


def test_the_summary_of_changes_groups_rows_by_description_and_rationale_in_document_order() -> (
    None
):
    changes = [
        change("11.3", "Add a video consent option"),
        change("5.2", "Raise the age limit", "recruitment"),
        change("1.3", "Add a video consent option"),
        change("10.11", "Raise the age limit", "recruitment"),
    ]
    assert summary_of_changes(changes) == (
        ChangeSummaryRow(
            description="Add a video consent option", rationale="why", sections=("1.3", "11.3")
        ),
        ChangeSummaryRow(
            description="Raise the age limit", rationale="recruitment", sections=("5.2", "10.11")
        ),
    )


def test_a_proposed_change_gives_the_sections_new_content_or_removes_it() -> None:
    assert change("5.2", "d").content == SectionText(number="5.2", heading="H", text="t")
    assert replace(change("5.2.1", "d"), text=None).content is None
