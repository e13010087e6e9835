"""Three-way merge of section texts (diff3 on difflib)."""

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


@settings(max_examples=200, deadline=None)
@given(lines, lines)
def test_the_same_change_on_both_sides_merges_cleanly(base: str, changed: str) -> None:
    assert merge_three_ways(base, changed, changed) == changed


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=3, max_value=8)
    .flatmap(
        lambda size: st.tuples(
            st.just(size),
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=0, max_value=size - 1),
        )
    )
    .filter(lambda case: abs(case[1] - case[2]) >= 2),
    st.lists(st.sampled_from(["mine", "also mine"]), min_size=0, max_size=2),
    st.lists(st.sampled_from(["theirs", "also theirs"]), min_size=0, max_size=2),
)
def test_a_clean_merge_contains_both_sides_changes(
    case: tuple[int, int, int], mine_lines: list[str], theirs_lines: list[str]
) -> None:
    """Each side replaces a different line (at least one kept line apart) of a base of
    distinct lines, with zero or more lines: the merge makes both replacements."""
    size, mine_at, theirs_at = case
    base = [f"line {number}" for number in range(size)]
    mine = base[:mine_at] + mine_lines + base[mine_at + 1 :]
    theirs = base[:theirs_at] + theirs_lines + base[theirs_at + 1 :]
    expected = [
        replacement
        for number, line in enumerate(base)
        for replacement in (
            mine_lines if number == mine_at else theirs_lines if number == theirs_at else [line]
        )
    ]
    merged = merge_three_ways("\n".join(base), "\n".join(mine), "\n".join(theirs))
    assert merged == "\n".join(expected)


@settings(max_examples=300, deadline=None)
@given(lines, lines, lines)
def test_conflicts_do_not_depend_on_which_side_is_mine(base: str, mine: str, theirs: str) -> None:
    merged = merge_three_ways(base, mine, theirs)
    swapped = merge_three_ways(base, theirs, mine)
    assert (merged is None) == (swapped is None)
    assert merged == swapped


def test_a_one_line_value_takes_whichever_side_changed_it() -> None:
    assert merge_values("Old", "New", "Old") == "New"
    assert merge_values("Old", "Old", "New") == "New"
    assert merge_values("Old", "Same", "Same") == "Same"
    assert merge_values("Old", "Mine", "Theirs") is None
