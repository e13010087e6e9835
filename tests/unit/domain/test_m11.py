"""The ICH M11 outline, section numbering and the amendment reasons."""

from __future__ import annotations

import pytest

from domain import m11
from domain.m11 import LAY_SUMMARY, OUTLINE, AmendmentReason

NUMBERS = [section.number for section in OUTLINE]


def test_the_outline_has_sections_1_to_14_and_the_lay_summary_at_level_1() -> None:
    top = [number for number in NUMBERS if m11.level(number) == 1]
    assert top == [str(n) for n in range(1, 15)] + [LAY_SUMMARY]


@pytest.mark.parametrize(
    ("number", "heading"),
    [
        ("1.3", "Schedule of Activities"),
        ("4.1.1", "Stakeholder Input into Design"),
        ("5.6", "Screen Failure and Rescreening"),
        ("6.7", "Investigational Trial Intervention Assignment, Randomisation and Blinding"),
        ("10.11", "Sample Size Determination"),
        ("11.3", "Informed Consent Process"),
        ("11.12", "Data Dissemination"),
        ("12.3", "Prior Protocol Amendment(s)"),
        ("14", "Appendix: References"),
    ],
)
def test_headings_follow_the_template(number: str, heading: str) -> None:
    assert {s.number: s.heading for s in OUTLINE}[number] == heading


def test_sections_6_and_10_have_their_full_ranges() -> None:
    assert [n for n in NUMBERS if m11.parent(n) == "6"] == [f"6.{i}" for i in range(1, 11)]
    assert [n for n in NUMBERS if m11.parent(n) == "10"] == [f"10.{i}" for i in range(1, 12)]


def test_every_section_is_unique_well_numbered_in_order_and_under_its_parent() -> None:
    assert len(set(NUMBERS)) == len(NUMBERS)
    assert all(m11.is_section_number(number) for number in NUMBERS)
    assert sorted(NUMBERS, key=m11.sort_key) == NUMBERS
    assert all(m11.parent(n) in (None, *NUMBERS) for n in NUMBERS)


@pytest.mark.parametrize(
    "number", ["1", "14", "5.2", "1.1.1", "10.11", "6.3.2.1", "5.2.999", LAY_SUMMARY]
)
def test_valid_section_numbers(number: str) -> None:
    assert m11.is_section_number(number)


@pytest.mark.parametrize(
    "number", ["", "0", "15", "5.", ".2", "5.02", "5.0", "a", "5 .2", "5.1000", "5.2." + "9" * 5000]
)
def test_invalid_section_numbers(number: str) -> None:
    assert not m11.is_section_number(number)


def test_levels_one_and_two_are_fixed() -> None:
    assert all(m11.is_fixed(number) for number in ("5", "5.2", LAY_SUMMARY))
    assert not m11.is_fixed("1.1.1")


def test_a_part_too_long_for_a_section_number_sorts_last_and_does_not_fail() -> None:
    huge = "5.2." + "9" * 5000
    assert sorted([huge, "5.2", LAY_SUMMARY], key=m11.sort_key) == ["5.2", LAY_SUMMARY, huge]


def test_document_order_is_numeric() -> None:
    assert sorted(["10.1", "9.4", "1.10", "1.2", LAY_SUMMARY], key=m11.sort_key) == [
        "1.2",
        "1.10",
        "9.4",
        "10.1",
        LAY_SUMMARY,
    ]


def test_a_subsection_is_within_its_ancestors_only() -> None:
    facing = frozenset({"1.3", "11.3"})
    assert m11.is_within("11.3", facing)
    assert m11.is_within("1.3.2", facing)
    assert not m11.is_within("1.30", facing)
    assert not m11.is_within("11", facing)


def test_participant_facing_sections_are_consent_schedule_and_lay_summary() -> None:
    assert frozenset({"1.3", "11.3", LAY_SUMMARY}) == m11.PARTICIPANT_FACING_SECTIONS


def test_the_amendment_reasons_are_the_m11_list_verbatim() -> None:
    assert [reason.value for reason in AmendmentReason] == [
        "Regulatory Agency Request To Amend",
        "New Regulatory Guidance",
        "IRB/IEC Feedback",
        "New Safety Information Available",
        "Manufacturing Change",
        "IMP Addition",
        "Change In Strategy",
        "Change In Standard Of Care",
        "New Data Available (Other Than Safety Data)",
        "Investigator/Site Feedback",
        "Recruitment Difficulty",
        "Inconsistency And/Or Error In The Protocol",
        "Protocol Design Error",
        "Other",
    ]
