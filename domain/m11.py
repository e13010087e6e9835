"""ICH M11 facts: the protocol outline, section numbering and amendment reasons.

The outline is the Step 4 template (adopted November 2025): sections 1 to 14 with their
level-2 subsections as ``OUTLINE`` below lists them (``docs/design.md``, "The protocol's
structure"); where the guideline gives only a range (6.1 to 6.10, 10.1 to 10.11) or no level-2
headings (3, 7, 8, 9), the template's headings are used.
Level-1 and level-2 headings are fixed. Concord keeps one part outside the numbering:
the trial's lay summary, which is participant-facing and also fixed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class OutlineSection:
    """A section of the M11 template: its number and heading."""

    number: str
    heading: str


LAY_SUMMARY = "lay-summary"
"""The key of the lay summary, kept beside the numbered sections."""

OUTLINE: tuple[OutlineSection, ...] = tuple(
    OutlineSection(number, heading)
    for number, heading in (
        ("1", "Protocol Summary"),
        ("1.1", "Protocol Synopsis"),
        ("1.1.1", "Primary and Secondary Objectives and Estimands"),
        ("1.1.2", "Overall Design"),
        ("1.2", "Trial Schema"),
        ("1.3", "Schedule of Activities"),
        ("2", "Introduction"),
        ("2.1", "Purpose of Trial"),
        ("2.2", "Assessment of Risks and Benefits"),
        ("3", "Trial Objectives and Associated Estimands"),
        ("3.1", "Primary Objective(s) and Associated Estimand(s)"),
        ("3.2", "Secondary Objective(s) and Associated Estimand(s)"),
        ("3.3", "Exploratory Objective(s)"),
        ("4", "Trial Design"),
        ("4.1", "Description of Trial Design"),
        ("4.1.1", "Stakeholder Input into Design"),
        ("4.2", "Rationale for Trial Design"),
        ("4.3", "Trial Stopping Rules"),
        ("4.4", "Start of Trial and End of Trial"),
        ("4.5", "Access to Trial Intervention After End of Trial"),
        ("5", "Trial Population"),
        ("5.1", "Description of Trial Population and Rationale"),
        ("5.2", "Inclusion Criteria"),
        ("5.3", "Exclusion Criteria"),
        ("5.4", "Contraception"),
        ("5.5", "Lifestyle Restrictions"),
        ("5.6", "Screen Failure and Rescreening"),
        ("6", "Trial Intervention and Concomitant Therapy"),
        ("6.1", "Description of Investigational Trial Intervention"),
        ("6.2", "Rationale for Investigational Trial Intervention Dose and Regimen"),
        ("6.3", "Investigational Trial Intervention Administration"),
        ("6.4", "Investigational Trial Intervention Dose Modification"),
        ("6.5", "Management of Investigational Trial Intervention Overdose"),
        (
            "6.6",
            "Preparation, Storage, Handling and Accountability of Investigational Trial"
            " Intervention",
        ),
        ("6.7", "Investigational Trial Intervention Assignment, Randomisation and Blinding"),
        ("6.8", "Investigational Trial Intervention Adherence"),
        ("6.9", "Description of Noninvestigational Trial Intervention"),
        ("6.10", "Concomitant Therapy"),
        (
            "7",
            "Participant Discontinuation of Trial Intervention and Discontinuation or"
            " Withdrawal from Trial",
        ),
        ("7.1", "Discontinuation of Trial Intervention for Individual Participants"),
        ("7.2", "Participant Discontinuation or Withdrawal from the Trial"),
        ("7.3", "Management of Loss to Follow-Up"),
        ("8", "Trial Assessments and Procedures"),
        ("8.1", "Trial Assessments and Procedures Considerations"),
        ("8.2", "Screening/Baseline Assessments and Procedures"),
        ("8.3", "Efficacy Assessments and Procedures"),
        ("8.4", "Safety Assessments and Procedures"),
        ("8.5", "Pharmacokinetics"),
        ("8.6", "Biomarkers"),
        ("8.7", "Immunogenicity Assessments"),
        ("8.8", "Medical Resource Utilisation and Health Economics"),
        (
            "9",
            "Adverse Events, Serious Adverse Events, Product Complaints, Pregnancy and"
            " Postpartum Information, and Special Safety Situations",
        ),
        ("9.1", "Definitions"),
        ("9.2", "Timing and Procedures for Collection and Reporting"),
        ("9.3", "Pregnancy and Postpartum Information"),
        ("9.4", "Special Safety Situations"),
        ("10", "Statistical Considerations"),
        ("10.1", "General Considerations"),
        ("10.2", "Analysis Sets"),
        ("10.3", "Analyses of Demographics and Other Baseline Variables"),
        ("10.4", "Analyses Associated with the Primary Objective(s)"),
        ("10.5", "Analyses Associated with the Secondary Objective(s)"),
        ("10.6", "Analyses Associated with the Exploratory Objective(s)"),
        ("10.7", "Safety Analyses"),
        ("10.8", "Other Analyses"),
        ("10.9", "Interim Analyses"),
        ("10.10", "Multiplicity Adjustments"),
        ("10.11", "Sample Size Determination"),
        ("11", "Trial Oversight and Other General Considerations"),
        ("11.1", "Regulatory and Ethical Considerations"),
        ("11.2", "Trial Oversight"),
        ("11.3", "Informed Consent Process"),
        ("11.4", "Committees"),
        ("11.5", "Insurance and Indemnity"),
        ("11.6", "Risk-Based Quality Management"),
        ("11.7", "Data Governance"),
        ("11.8", "Data Protection"),
        ("11.9", "Source Records"),
        ("11.10", "Protocol Deviations"),
        ("11.11", "Early Site Closure"),
        ("11.12", "Data Dissemination"),
        ("12", "Appendix: Supporting Details"),
        ("12.1", "Clinical Laboratory Tests"),
        ("12.2", "Country/Region-Specific Differences"),
        ("12.3", "Prior Protocol Amendment(s)"),
        ("13", "Appendix: Glossary of Terms and Abbreviations"),
        ("14", "Appendix: References"),
        (LAY_SUMMARY, "Lay Summary"),
    )
)

PARTICIPANT_FACING_SECTIONS = frozenset({"1.3", "11.3", LAY_SUMMARY})
"""Schedule of activities (visit burden), informed consent process and the lay summary."""

LAST_TOP_LEVEL_SECTION = 14
_NUMBER = re.compile(r"[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2})*")
"""Dotted parts of 1 to 999 each: more subsections than a protocol has, and never a part
too long for ``int`` (4,300 digits) to read."""


def is_section_number(number: str) -> bool:
    """True for ``lay-summary`` and dotted numbers whose first part is 1 to 14 (each
    further part 1 to 999)."""
    if number == LAY_SUMMARY:
        return True
    if _NUMBER.fullmatch(number) is None:
        return False
    return int(number.split(".")[0]) <= LAST_TOP_LEVEL_SECTION


def level(number: str) -> int:
    """The heading level: 1 for ``5`` and the lay summary, 2 for ``5.2``, and so on."""
    return 1 if number == LAY_SUMMARY else number.count(".") + 1


def parent(number: str) -> str | None:
    """The enclosing section's number, or None at level 1."""
    head, dot, _ = number.rpartition(".")
    return head if dot else None


def is_fixed(number: str) -> bool:
    """Level-1 and level-2 sections (and the lay summary) are fixed by the template."""
    return level(number) <= 2


@functools.lru_cache(maxsize=1024)
def sort_key(number: str) -> tuple[int, ...]:
    """Document order: numerically by part (``10.2`` after ``9.4``), the lay summary
    after the numbered sections, and anything that is no section number last."""
    if number == LAY_SUMMARY:
        return (LAST_TOP_LEVEL_SECTION + 1,)
    if _NUMBER.fullmatch(number) is None:
        return (LAST_TOP_LEVEL_SECTION + 2,)
    return tuple(int(part) for part in number.split("."))


def is_within(number: str, sections: frozenset[str]) -> bool:
    """True when ``number`` is one of ``sections`` or a subsection of one of them."""
    return any(number == section or number.startswith(f"{section}.") for section in sections)


class AmendmentReason(StrEnum):
    """The M11 list of reasons for a protocol amendment (primary and secondary)."""

    REGULATORY_AGENCY_REQUEST = "Regulatory Agency Request To Amend"
    NEW_REGULATORY_GUIDANCE = "New Regulatory Guidance"
    IRB_IEC_FEEDBACK = "IRB/IEC Feedback"
    NEW_SAFETY_INFORMATION = "New Safety Information Available"
    MANUFACTURING_CHANGE = "Manufacturing Change"
    IMP_ADDITION = "IMP Addition"
    CHANGE_IN_STRATEGY = "Change In Strategy"
    CHANGE_IN_STANDARD_OF_CARE = "Change In Standard Of Care"
    NEW_DATA_AVAILABLE = "New Data Available (Other Than Safety Data)"
    INVESTIGATOR_SITE_FEEDBACK = "Investigator/Site Feedback"
    RECRUITMENT_DIFFICULTY = "Recruitment Difficulty"
    PROTOCOL_INCONSISTENCY_OR_ERROR = "Inconsistency And/Or Error In The Protocol"
    PROTOCOL_DESIGN_ERROR = "Protocol Design Error"
    OTHER = "Other"
