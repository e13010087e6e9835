"""Three-way merge of section texts with merge3."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.text_merge import merge_three_ways, merge_values

BASE = "Age 18 to 65\nConfirmed diagnosis\nSigned consent"


def test_changes_to_different_lines_both_survive() -> None:
    ours = "Age 18 to 75\nConfirmed diagnosis\nSigned consent"
    theirs = "Age 18 to 65\nConfirmed diagnosis\nSigned written consent"
    assert merge_three_ways(BASE, ours, theirs) == (
        "Age 18 to 75\nConfirmed diagnosis\nSigned written consent"
    )


def test_different_changes_to_the_same_line_conflict() -> None:
    ours = "Age 18 to 75\nConfirmed diagnosis\nSigned consent"
    theirs = "Age 21 to 65\nConfirmed diagnosis\nSigned consent"
    assert merge_three_ways(BASE, ours, theirs) is None


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    ours = "Age 18 to 75\nConfirmed diagnosis\nSigned consent"
    assert merge_three_ways(BASE, ours, ours) == ours


def test_a_trailing_newline_is_kept_and_does_not_conflict() -> None:
    assert merge_three_ways("a\nb\n", "a\nb\nc\n", "z\na\nb\n") == "z\na\nb\nc\n"


def test_insertions_at_the_same_place_conflict() -> None:
    assert merge_three_ways("a", "a\nb", "a\nc") is None


lines = st.lists(st.sampled_from(["alpha", "beta", "gamma", ""]), max_size=6).map("\n".join)


@settings(max_examples=60, deadline=None)
@given(lines, lines)
def test_a_side_that_changed_nothing_takes_the_other_sides_text(base: str, changed: str) -> None:
    assert merge_three_ways(base, changed, base) == changed
    assert merge_three_ways(base, base, changed) == changed


def test_a_one_line_value_takes_whichever_side_changed_it() -> None:
    assert merge_values("Old", "New", "Old") == "New"
    assert merge_values("Old", "Old", "New") == "New"
    assert merge_values("Old", "Same", "Same") == "Same"
    assert merge_values("Old", "Mine", "Theirs") is None
