"""The protocol as a fold of its events, and the outline rules every change obeys."""

from __future__ import annotations

import pytest

from domain import errors
from domain.protocol_events import SectionRemoved, SectionRevised, SectionText
from domain.protocol_state import (
    ProtocolState,
    apply_changes,
    document_hash,
    evolve,
    fold,
)


def text(number: str, heading: str, body: str = "") -> SectionText:
    return SectionText(number=number, heading=heading, text=body)


DOCUMENT = {
    "5": text("5", "Trial Population"),
    "5.2": text("5.2", "Inclusion Criteria", "Age 18 to 65"),
    "5.10": text("5.10", "Made-up Level 2"),
}


def test_apply_changes_keeps_document_order() -> None:
    changed = apply_changes(DOCUMENT, {"5.2.1": text("5.2.1", "Age", "18 to 65")})
    assert list(changed) == ["5", "5.2", "5.2.1", "5.10"]


def test_a_section_and_its_subsection_can_be_added_together() -> None:
    changed = apply_changes(
        DOCUMENT,
        {"5.2.1.1": text("5.2.1.1", "Upper"), "5.2.1": text("5.2.1", "Age")},
    )
    assert {"5.2.1", "5.2.1.1"} <= changed.keys()


def test_a_section_and_its_subsection_can_be_removed_together() -> None:
    nested = apply_changes(
        DOCUMENT, {"5.2.1": text("5.2.1", "Age"), "5.2.1.1": text("5.2.1.1", "U")}
    )
    assert "5.2.1" not in apply_changes(nested, {"5.2.1": None, "5.2.1.1": None})
    with pytest.raises(errors.SectionHasSubsections):
        apply_changes(nested, {"5.2.1": None})


def test_changes_to_invalid_numbers_are_refused_before_anything_else() -> None:
    with pytest.raises(errors.InvalidSectionNumber, match=r"\['5\.x'\]"):
        apply_changes(DOCUMENT, {"5.x": None, "5.2.1": text("5.2.1", "Age")})


def test_apply_changes_leaves_its_input_alone() -> None:
    apply_changes(DOCUMENT, {"5.2": text("5.2", "Inclusion Criteria", "changed")})
    assert DOCUMENT["5.2"].text == "Age 18 to 65"


def test_the_document_hash_covers_headings_and_texts() -> None:
    renamed = {**DOCUMENT, "5.10": text("5.10", "Other")}
    assert document_hash(DOCUMENT) != document_hash(renamed)
    assert document_hash(DOCUMENT) == document_hash(dict(reversed(DOCUMENT.items())))


def test_versions_keep_a_snapshot_and_the_latest_is_current(
    published_protocol: ProtocolState,
) -> None:
    assert published_protocol.current_version == 1
    version = published_protocol.version(1)
    assert version is not None
    assert version.document == published_protocol.document()
    assert version.content_hash == document_hash(version.document)
    assert published_protocol.version(2) is None
    assert published_protocol.changed_since(1) == {}


def test_evolve_never_fails_on_events_about_unknown_sections() -> None:
    empty = ProtocolState()
    assert evolve(empty, SectionRemoved(trial_id="t", number="9.9.9", removed_by="x")) == empty
    revised = evolve(
        empty,
        SectionRevised(
            trial_id="t",
            number="9.9.9",
            revision=4,
            based_on=3,
            heading="H",
            text="",
            revised_by="x",
        ),
    )
    assert revised.live_section("9.9.9") is not None


def test_the_state_at_an_earlier_position_is_the_fold_up_to_it(
    drafted_protocol: ProtocolState,
) -> None:
    revision = SectionRevised(
        trial_id="t-1",
        number="5.2",
        revision=2,
        based_on=1,
        heading="Inclusion Criteria",
        text="new",
        revised_by="ivy",
    )
    later = fold([revision], drafted_protocol)
    assert later.document()["5.2"].text == "new"
    assert drafted_protocol.document()["5.2"].text != "new"
