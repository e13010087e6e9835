"""Drafting a protocol from an imported file: one decision, the record last."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain import m11
from domain.actor import Actor
from domain.errors import (
    InvalidSectionNumber,
    ProtocolAlreadyDrafted,
    RequiredTextMissing,
    SectionNotFound,
)
from domain.imports import (
    Coded,
    ImportProtocol,
    ImportRecord,
    InvalidImport,
    Placement,
    PlacementRule,
    ProtocolImported,
    SourceAmendment,
    SourceReason,
    decide_import,
)
from domain.protocol import NEW_PROTOCOL, fold
from domain.protocol_events import ProtocolDrafted, SectionAdded, SectionText
from domain.roles import OrganizationKind, Role

ADMIN = Actor(
    user_id="u-admin",
    printed_name="Ima Porter",
    organization_id="northwind",
    organization_kind=OrganizationKind.SPONSOR,
    roles=frozenset({Role.TRIAL_ADMIN}),
)
OTHER = Coded(
    code="C17649", system="http://www.cdisc.org", system_version="2024-09-27", decode="Other"
)
RECORD = ImportRecord(
    file_name="study.json",
    file_sha256="a" * 64,
    file_bytes=1234,
    format="USDM 4.0.0",
    system="Elsewhere 1.0",
    study_name="LZZT",
    amendments=(
        SourceAmendment(
            number="1", name="AMEND_1", summary="Fix typos", primary_reason=SourceReason(code=OTHER)
        ),
    ),
    placements=(
        Placement(
            source_number="3.1.1",
            source_title="Estimand",
            rule=PlacementRule.BY_NUMBER,
            number="3.1.1",
        ),
    ),
)


def importing(**changes: object) -> ImportProtocol:
    fields: dict[str, object] = {
        "actor": ADMIN,
        "trial_id": "lzzt",
        "title": "Xanomeline TTS in Alzheimer's disease",
        "texts": {"5.2": "Age 50 or more", m11.LAY_SUMMARY: "A patch for memory loss"},
        "subsections": (
            SectionText(number="3.1.1.1", heading="Intercurrent events", text="Deaths count"),
            SectionText(number="3.1.1", heading="Primary estimand", text="ADAS-Cog at week 24"),
        ),
        "record": RECORD,
    }
    return ImportProtocol(**{**fields, **changes})  # type: ignore[arg-type]


def test_an_import_drafts_the_outline_adds_the_subsections_and_records_itself_last() -> None:
    events = decide_import(NEW_PROTOCOL, importing())
    assert [type(e) for e in events] == [
        ProtocolDrafted,
        SectionAdded,
        SectionAdded,
        ProtocolImported,
    ]
    added = [e for e in events if isinstance(e, SectionAdded)]
    assert [e.number for e in added] == ["3.1.1", "3.1.1.1"]  # parents first
    assert {e.reason for e in added} == {"imported from USDM 4.0.0"}  # why, in the trail
    assert events[-1] == ProtocolImported(trial_id="lzzt", imported_by="u-admin", record=RECORD)
    state = fold([e for e in events if not isinstance(e, ProtocolImported)])
    document = state.document()
    assert document["5.2"].text == "Age 50 or more"
    assert document["3.1.1"].heading == "Primary estimand"
    assert document[m11.LAY_SUMMARY].text == "A patch for memory loss"
    assert state.versions == ()


def test_an_imported_record_leaves_the_protocol_as_drafted() -> None:
    events = decide_import(NEW_PROTOCOL, importing())
    drafted = fold([e for e in events if not isinstance(e, ProtocolImported)])
    assert fold(events) == drafted  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"record": replace(RECORD, file_sha256="XYZ")}, InvalidImport),
        ({"record": replace(RECORD, file_bytes=-1)}, InvalidImport),
        ({"record": replace(RECORD, format=" ")}, RequiredTextMissing),
        ({"texts": {"5.9": "not in the outline"}}, SectionNotFound),
        (
            {"subsections": (SectionText(number="5.9", heading="Level 2", text=""),)},
            InvalidSectionNumber,
        ),
        (
            {"subsections": (SectionText(number="5.2.1.1", heading="Orphan", text=""),)},
            SectionNotFound,
        ),
        ({"subsections": (SectionText(number="x", heading="Odd", text=""),)}, InvalidSectionNumber),
        ({"title": ""}, RequiredTextMissing),
    ],
)
def test_an_import_that_breaks_a_rule_drafts_nothing(
    changes: dict[str, object], refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        decide_import(NEW_PROTOCOL, importing(**changes))


def test_a_protocol_is_imported_once() -> None:
    events = decide_import(NEW_PROTOCOL, importing())
    state = fold([e for e in events if not isinstance(e, ProtocolImported)])
    with pytest.raises(ProtocolAlreadyDrafted):
        decide_import(state, importing())
