"""Tracked changes and clean text between two protocol documents."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.protocol_diff import Mark, SectionChange, diff_documents, tracked_changes
from domain.protocol_events import SectionText


def doc(**texts: str) -> dict[str, SectionText]:
    return {
        n.replace("_", "."): SectionText(number=n.replace("_", "."), heading=f"H{n}", text=t)
        for n, t in texts.items()
    }


def test_a_changed_word_is_deleted_and_inserted_and_the_rest_kept() -> None:
    runs = tracked_changes("Adults aged 18 to 65 years", "Adults aged 18 to 75 years")
    assert [(r.mark, r.text) for r in runs] == [
        (Mark.KEPT, "Adults aged 18 to "),
        (Mark.DELETED, "65"),
        (Mark.INSERTED, "75"),
        (Mark.KEPT, " years"),
    ]


@given(st.text(), st.text())
def test_tracked_changes_spell_both_texts(old: str, new: str) -> None:
    runs = tracked_changes(old, new)
    assert "".join(r.text for r in runs if r.mark is not Mark.INSERTED) == old
    assert "".join(r.text for r in runs if r.mark is not Mark.DELETED) == new


def test_sections_added_removed_and_changed_in_document_order() -> None:
    old = doc(**{"10_1": "same", "5_2": "Age 18-65", "2_1": "gone"})
    new = doc(**{"10_1": "same", "5_2": "Age 18-75", "12_3": "new"})
    diffs = diff_documents(old, new)
    assert [(d.number, d.change) for d in diffs] == [
        ("2.1", SectionChange.REMOVED),
        ("5.2", SectionChange.CHANGED),
        ("12.3", SectionChange.ADDED),
    ]
    removed, changed, added = diffs
    assert (removed.new_text, removed.tracked_text[0].mark) == (None, Mark.DELETED)
    assert (changed.old_text, changed.new_text) == ("Age 18-65", "Age 18-75")
    assert [r.mark for r in added.tracked_text] == [Mark.INSERTED]
