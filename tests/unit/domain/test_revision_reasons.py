"""Why a section changed, who wrote a merged section, and an amendment's proposal marked
against a document it did not write (issue 19)."""

from __future__ import annotations

from domain.codec import decode
from domain.protocol_diff import Mark, SectionChange, diff_proposal
from domain.protocol_events import (
    SectionAdded,
    SectionConflictResolved,
    SectionEditConflicted,
    SectionRemoved,
    SectionRevised,
    SectionText,
)


def _text(number: str, text: str, heading: str = "Heading") -> SectionText:
    return SectionText(number=number, heading=heading, text=text)


def test_revisions_recorded_before_reasons_were_asked_still_read() -> None:
    # As the log holds them: no reason, no contributors (the fields came later, with
    # defaults, so the codec fills them in and no upcaster is needed).
    stored = {
        "trial_id": "t-1",
        "number": "5.2",
        "revision": 2,
        "based_on": 1,
        "heading": "Inclusion Criteria",
        "text": "Age 18 to 75",
        "revised_by": "ivy",
        "merged_with": None,
        "amendment_id": None,
    }
    revised = decode(SectionRevised, stored)
    assert (revised.reason, revised.contributors) == ("", ())
    added = decode(
        SectionAdded,
        {"trial_id": "t-1", "number": "5.2.1", "revision": 1, "heading": "H", "text": "",
         "added_by": "ivy"},
    )  # fmt: skip
    removed = decode(SectionRemoved, {"trial_id": "t-1", "number": "5.2.1", "removed_by": "ivy"})
    assert (added.reason, added.contributors, removed.reason) == ("", (), "")
    conflicted = decode(
        SectionEditConflicted,
        {"trial_id": "t-1", "conflict_number": 1, "number": "5.2", "base_revision": 1,
         "head_revision": 2, "heading": "H", "text": "Age 21", "proposed_by": "sam"},
    )  # fmt: skip
    resolved = decode(
        SectionConflictResolved,
        {"trial_id": "t-1", "conflict_number": 1, "number": "5.2", "revision": 3,
         "based_on": 2, "heading": "H", "text": "Age 21", "resolved_by": "sam"},
    )  # fmt: skip
    assert (conflicted.reason, resolved.reason) == ("", "")


def test_a_proposal_is_marked_against_the_reference_section_by_section() -> None:
    reference = {
        "5.2": _text("5.2", "Age 18 to 65"),
        "1.1.2": _text("1.1.2", "An old note"),
        "6.1": _text("6.1", "Already so"),
    }
    changes = {
        "6.1": _text("6.1", "Already so"),
        "5.2": _text("5.2", "Age 18 to 75"),
        "5.2.1": _text("5.2.1", "New", heading="Age"),
        "1.1.2": None,
    }
    diffs = diff_proposal(reference, changes)
    assert [(d.number, d.change) for d in diffs] == [
        ("1.1.2", SectionChange.REMOVED),
        ("5.2", SectionChange.CHANGED),
        ("5.2.1", SectionChange.ADDED),
        ("6.1", SectionChange.UNCHANGED),
    ]
    removed, changed, added, unchanged = diffs
    assert [(r.mark, r.text) for r in changed.tracked_text] == [
        (Mark.KEPT, "Age 18 to "),
        (Mark.DELETED, "65"),
        (Mark.INSERTED, "75"),
    ]
    assert (removed.old_text, removed.new_text) == ("An old note", None)
    assert [r.mark for r in removed.tracked_text] == [Mark.DELETED]
    assert (added.old_heading, added.new_heading, added.new_text) == (None, "Age", "New")
    assert [r.mark for r in unchanged.tracked_text] == [Mark.KEPT]


def test_a_removal_of_a_section_the_reference_lacks_changes_nothing() -> None:
    [diff] = diff_proposal({}, {"1.1.2": None})
    assert (diff.change, diff.tracked_text) == (SectionChange.UNCHANGED, ())
