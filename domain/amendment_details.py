"""What an amendment says: its M11 amendment details and its proposed section changes.

The details follow the M11 "Amendment Details" and title-page fields: a summary, a
primary reason and secondary reasons from the M11 list, the two substantial-impact
questions each answered with an explanation, enrollment at the time and the scope. The
summary-of-changes table (Description | Rationale | Section(s)) is generated from the
proposed changes, never typed separately, so it cannot disagree with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain import m11
from domain.errors import InvalidAmendmentDetails, require_text
from domain.m11 import AmendmentReason
from domain.protocol_events import SectionText


class EnrollmentUnit(StrEnum):
    """How enrollment at the time of the amendment is counted."""

    PARTICIPANTS = "participants"
    PERCENT = "percent"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactAssessment:
    """The answer to one substantial-impact question, with its explanation."""

    likely: bool
    explanation: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrollment:
    """Enrollment at the time of the amendment: a number of participants or a percent."""

    value: int
    unit: EnrollmentUnit


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentScope:
    """Where the amendment applies: everywhere (no countries, no sites) or only there."""

    countries: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()

    @property
    def is_global(self) -> bool:
        return not self.countries and not self.sites


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentDetails:
    """The M11 amendment details."""

    summary: str
    primary_reason: AmendmentReason
    secondary_reasons: tuple[AmendmentReason, ...] = ()
    safety_or_rights_impact: ImpactAssessment
    """Is the amendment likely to have a substantial impact on participants' safety or
    rights?"""
    data_reliability_impact: ImpactAssessment
    """Is it likely to have a substantial impact on the reliability and robustness of the
    data?"""
    enrollment: Enrollment
    scope: AmendmentScope = AmendmentScope()

    @property
    def is_substantial(self) -> bool:
        """Yes to either question makes it a substantial modification (EU CTR art. 2(2)(13))."""
        return self.safety_or_rights_impact.likely or self.data_reliability_impact.likely


def check_details(details: AmendmentDetails) -> None:
    """Refuse incomplete or inconsistent details, naming what is wrong."""
    require_text(details.summary, "the amendment summary")
    require_text(
        details.safety_or_rights_impact.explanation,
        "an explanation of the impact on participants' safety or rights",
    )
    require_text(
        details.data_reliability_impact.explanation,
        "an explanation of the impact on the reliability and robustness of the data",
    )
    if details.primary_reason in details.secondary_reasons:
        raise InvalidAmendmentDetails(
            f"{details.primary_reason.value!r} is the primary reason; it cannot also be secondary"
        )
    if len(set(details.secondary_reasons)) != len(details.secondary_reasons):
        raise InvalidAmendmentDetails("a secondary reason is listed twice")
    enrollment = details.enrollment
    if enrollment.value < 0 or (
        enrollment.unit is EnrollmentUnit.PERCENT and enrollment.value > 100
    ):
        raise InvalidAmendmentDetails(
            f"enrollment of {enrollment.value} {enrollment.unit.value} is not possible"
        )
    for what, places in (("country", details.scope.countries), ("site", details.scope.sites)):
        if any(not place.strip() for place in places) or len(set(places)) != len(places):
            raise InvalidAmendmentDetails(f"every {what} in the scope must be named once")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposedChange:
    """A change the amendment proposes to one section.

    ``text`` is the section's new text, or None to remove the section. A number the
    protocol does not have adds a subsection. ``description`` and ``rationale`` become
    the change's row in the summary-of-changes table.
    """

    number: str
    heading: str
    text: str | None
    description: str
    rationale: str

    @property
    def content(self) -> SectionText | None:
        """The section's content after the change (None when it removes the section)."""
        if self.text is None:
            return None
        return SectionText(number=self.number, heading=self.heading, text=self.text)


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionResolution:
    """How a rebase settles one section in conflict: the change to keep proposing,
    rewritten against the new version, or None to drop this amendment's change."""

    number: str
    change: ProposedChange | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSummaryRow:
    """A row of the M11 Overview of Changes table."""

    description: str
    rationale: str
    sections: tuple[str, ...]


def summary_of_changes(changes: Iterable[ProposedChange]) -> tuple[ChangeSummaryRow, ...]:
    """The Overview of Changes: changes with the same description and rationale share a
    row; rows and their sections follow document order."""
    rows: dict[tuple[str, str], list[str]] = {}
    for change in sorted(changes, key=lambda c: m11.sort_key(c.number)):
        rows.setdefault((change.description, change.rationale), []).append(change.number)
    return tuple(
        ChangeSummaryRow(description=description, rationale=rationale, sections=tuple(sections))
        for (description, rationale), sections in rows.items()
    )
