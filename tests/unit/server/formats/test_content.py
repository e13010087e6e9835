"""A section's plain text read as blocks, and written back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.formats.content import ItemList, ListKind, Paragraph, blocks, plain_text


def test_blank_lines_part_paragraphs_and_single_newlines_break_lines() -> None:
    text = "First line\nsecond line\n\n  \n\nNext paragraph\r\nwith a CRLF"
    assert blocks(text) == (
        Paragraph(("First line", "second line")),
        Paragraph(("Next paragraph", "with a CRLF")),
    )


def test_whitespace_inside_a_line_collapses_as_a_browser_shows_it() -> None:
    assert blocks("  Age \t 18   to 65  ") == (Paragraph(("Age 18 to 65",)),)


def test_empty_text_has_no_blocks() -> None:
    assert blocks("") == ()
    assert blocks("\n \n\t\n") == ()


def test_a_block_of_dash_or_star_items_is_a_bulleted_list() -> None:
    assert blocks("- one\n* two") == (ItemList(ListKind.BULLETED, ("one", "two")),)


def test_a_block_numbered_in_order_from_one_is_a_numbered_list() -> None:
    assert blocks("1. one\n2. two\n3. three") == (
        ItemList(ListKind.NUMBERED, ("one", "two", "three")),
    )


def test_a_block_mixing_items_and_lines_stays_a_paragraph() -> None:
    for text in ("- one\nnot an item", "1. one\n3. three", "2. two", "1. one\n- two", "-no space"):
        assert blocks(text) == (Paragraph(tuple(text.split("\n"))),), text


def test_a_numbered_line_inside_a_paragraph_does_not_make_a_list() -> None:
    text = "The first visit\n12. March was the second"
    assert blocks(text) == (Paragraph(("The first visit", "12. March was the second")),)


def test_plain_text_writes_blocks_back() -> None:
    found = (
        Paragraph(("a", "b")),
        ItemList(ListKind.BULLETED, ("x", "y")),
        ItemList(ListKind.NUMBERED, ("p", "q")),
    )
    assert plain_text(found) == "a\nb\n\n- x\n- y\n\n1. p\n2. q"
    assert blocks(plain_text(found)) == found


_LINE = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@given(st.lists(_LINE, max_size=12).map("\n".join))
def test_blocks_read_from_their_own_plain_text_are_the_same_blocks(text: str) -> None:
    found = blocks(text)
    assert blocks(plain_text(found)) == found
