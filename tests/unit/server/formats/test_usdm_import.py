"""Reading a USDM file into a plan: where each part of the narrative goes, and why."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.imports import PlacementRule
from server.formats.usdm_commands import trial_id_for
from server.formats.usdm_import import ImportRefused, read_usdm
from server.formats.usdm_import_fields import visible

CODE = {
    "id": "c", "code": "C207616", "codeSystem": "http://www.cdisc.org",
    "codeSystemVersion": "2024-09-27", "decode": "Official Study Title", "instanceType": "Code",
}  # fmt: skip


def wrapper(
    sections: list[tuple[str | None, str, str]],
    *,
    template: str = "M11",
    amendments: list[dict[str, Any]] | None = None,
) -> bytes:
    """A small valid USDM file: ``(number, title, xhtml)`` per narrative content."""
    items = [
        {"id": f"item-{i}", "name": f"I{i}", "text": text, "instanceType": "NarrativeContentItem"}
        for i, (_, _, text) in enumerate(sections)
    ]
    contents: list[dict[str, Any]] = [
        {
            "id": f"nc-{i}", "name": f"NC{i}", "sectionNumber": number, "sectionTitle": title,
            "displaySectionNumber": True, "displaySectionTitle": True, "childIds": [],
            "previousId": None, "nextId": None, "contentItemId": f"item-{i}",
            "instanceType": "NarrativeContent",
        }
        for i, (number, title, _) in enumerate(sections)
    ]  # fmt: skip
    version = {
        "id": "sv-1", "versionIdentifier": "1", "rationale": "r", "instanceType": "StudyVersion",
        "titles": [
            {"id": "t1", "text": "The Study Title", "type": CODE, "instanceType": "StudyTitle"}
        ],
        "studyIdentifiers": [], "documentVersionIds": ["dv-1"], "narrativeContentItems": items,
        "amendments": amendments or [],
    }  # fmt: skip
    document = {
        "id": "doc", "name": "Protocol", "language": CODE, "type": CODE, "templateName": template,
        "instanceType": "StudyDefinitionDocument",
        "versions": [{"id": "dv-1", "version": "1", "status": CODE, "contents": contents,
                      "instanceType": "StudyDefinitionDocumentVersion"}],
    }  # fmt: skip
    study = {
        "name": "Small Study", "instanceType": "Study", "versions": [version],
        "documentedBy": [document],
    }  # fmt: skip
    return json.dumps({"study": study, "usdmVersion": "4.0.0"}).encode()


def p(text: str) -> str:
    return f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>'


def placements(raw: bytes) -> dict[str, tuple[PlacementRule, str | None]]:
    record = read_usdm(raw).record
    return {x.source_title: (x.rule, x.number) for x in record.placements}


def test_a_document_after_the_m11_template_is_placed_by_number_and_title() -> None:
    raw = wrapper(
        [
            ("0", "Title Page", p("<usdm:ref klass='StudyTitle' id='t1' attribute='text'/>")),
            ("5", "TRIAL POPULATION", p("Who takes part")),
            ("5.2", "Inclusion Criteria", p("Adults")),
            ("5.2.1", "Age", p("18 or more")),
            ("6.1", "Overview of Trial Interventions", p("Overview")),
            ("6.2", "Description of Investigational Trial Intervention", p("The patch")),
            ("6.11", "Concomitant Therapy", p("None")),
            ("6.11.1", "{Prohibited}", p("Steroids")),
            (None, "Lay Summary", p("For everyone")),
        ]
    )
    found = placements(raw)
    assert found["Title Page"] == (PlacementRule.LEFT_OUT, None)
    assert found["TRIAL POPULATION"] == (PlacementRule.BY_NUMBER, "5")
    assert found["Age"] == (PlacementRule.BY_NUMBER, "5.2.1")
    # the template's numbering drifted: the title wins where it names another section
    assert found["Description of Investigational Trial Intervention"] == (
        PlacementRule.BY_TITLE,
        "6.1",
    )
    assert found["Overview of Trial Interventions"] == (PlacementRule.UNPLACED, "12")
    assert found["Concomitant Therapy"] == (PlacementRule.BY_TITLE, "6.10")
    assert found["{Prohibited}"] == (PlacementRule.UNPLACED, "12")  # no section 6.11 to hold it
    assert found["Lay Summary"] == (PlacementRule.BY_TITLE, "lay-summary")
    plan = read_usdm(raw)
    assert plan.texts["6.1"] == "The patch"
    assert [(s.number, s.heading, s.text) for s in plan.subsections] == [
        ("5.2.1", "Age", "18 or more")
    ]
    assert plan.texts["12"] == (
        "[Not placed] 6.1 Overview of Trial Interventions\n\nOverview"
        "\n\n[Not placed] 6.11.1 {Prohibited}\n\nSteroids"
    )


def test_another_template_is_placed_by_title_only() -> None:
    raw = wrapper(
        [
            ("3.4.2.1", "Inclusion criteria", p("Adults")),
            ("5.2", "Something Else", p("Not by number")),
            ("7", "Empty", p("")),
        ],
        template="LILLY",
    )
    found = placements(raw)
    assert found["Inclusion criteria"] == (PlacementRule.BY_TITLE, "5.2")
    assert found["Something Else"] == (PlacementRule.UNPLACED, "12")
    assert found["Empty"] == (PlacementRule.LEFT_OUT, None)


def test_an_empty_subsection_is_kept_when_a_deeper_one_has_text() -> None:
    raw = wrapper([("5.2.1", "Parent", p("")), ("5.2.1.1", "Child", p("Text"))])
    assert placements(raw) == {
        "Parent": (PlacementRule.BY_NUMBER, "5.2.1"),
        "Child": (PlacementRule.BY_NUMBER, "5.2.1.1"),
    }


def test_references_resolve_and_cycles_end() -> None:
    looping = (
        "<usdm:ref klass='StudyTitle' id='t1' attribute='text'/> and"
        " <usdm:ref klass='NarrativeContentItem' id='item-0' attribute='text'/>"
    )
    raw = wrapper([("5.2", "Inclusion Criteria", p(looping))])
    text = read_usdm(raw).texts["5.2"]
    assert text.startswith("The Study Title and The Study Title and")


def test_text_nobody_can_see_is_left_out_and_noted() -> None:
    raw = wrapper([("5.2", "Inclusion Criteria", p("Adults\u200b aged\u202e 18"))])
    plan = read_usdm(raw)
    assert plan.texts["5.2"] == "Adults aged 18"
    (placement,) = plan.record.placements
    assert "2 characters nobody can see left out" in placement.notes
    assert visible("a\u2066b\u200dc") == ("abc", 2)


def test_amendments_are_read_in_the_order_of_their_previous_links() -> None:
    def amendment(key: str, previous: str | None) -> dict[str, Any]:
        return {
            "id": key, "name": key, "number": key, "summary": f"summary {key}",
            "primaryReason": {
                "id": f"{key}-r", "code": CODE, "instanceType": "StudyAmendmentReason"
            },
            "changes": [], "geographicScopes": [], "previousId": previous,
            "enrollments": [{
                "id": f"{key}-e", "name": "E", "instanceType": "SubjectEnrollment",
                "quantity": {"id": f"{key}-q", "value": 12.5, "instanceType": "Quantity"},
            }],
            "instanceType": "StudyAmendment",
        }  # fmt: skip

    raw = wrapper([], amendments=[amendment("3", "2"), amendment("1", None), amendment("2", "1")])
    record = read_usdm(raw).record
    assert [a.number for a in record.amendments] == ["1", "2", "3"]
    assert record.amendments[0].enrollments[0].quantity == "12.5"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [(b"\xff", "not-json"), (b"{}", "not-usdm"), (b"[" * 65 + b"]" * 65, "too-deep")],
)
def test_what_is_not_a_usdm_file_is_refused(raw: bytes, kind: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        read_usdm(raw)
    assert refused.value.kind == kind


def test_a_trial_id_is_made_of_the_study_name() -> None:
    assert trial_id_for("CDISC PILOT - LZZT") == "cdisc-pilot-lzzt"
    assert trial_id_for("Études / 2026") == "etudes-2026"
    assert trial_id_for("---") == "imported"
    assert len(trial_id_for("x" * 100)) == 64
