"""A section's text read as blocks (the section markup), and written back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.formats.content import (
    Block,
    Heading,
    ItemList,
    ListKind,
    Paragraph,
    Run,
    Table,
    blocks,
    inline,
    markup,
    normal,
    normal_inline,
    plain,
    retexted,
    visible,
)


def p(*lines: str) -> Paragraph:
    """A paragraph of unmarked lines."""
    return Paragraph(tuple(plain(line) for line in lines))


def items(kind: ListKind, *texts: str) -> ItemList:
    return ItemList(kind, tuple(plain(text) for text in texts))


# -- plain text reads as it always did ----------------------------------------------------


def test_blank_lines_part_paragraphs_and_single_newlines_break_lines() -> None:
    text = "First line\nsecond line\n\n  \n\nNext paragraph\r\nwith a CRLF"
    assert blocks(text) == (
        p("First line", "second line"),
        p("Next paragraph", "with a CRLF"),
    )


def test_whitespace_inside_a_line_collapses_as_a_browser_shows_it() -> None:
    assert blocks("  Age \t 18   to 65  ") == (p("Age 18 to 65"),)


def test_empty_text_has_no_blocks() -> None:
    assert blocks("") == ()
    assert blocks("\n \n\t\n") == ()


def test_a_block_of_dash_or_star_items_is_a_bulleted_list() -> None:
    assert blocks("- one\n* two") == (items(ListKind.BULLETED, "one", "two"),)


def test_a_block_numbered_in_order_from_one_is_a_numbered_list() -> None:
    assert blocks("1. one\n2. two\n3. three") == (items(ListKind.NUMBERED, "one", "two", "three"),)


def test_a_block_mixing_items_and_lines_stays_a_paragraph() -> None:
    for text in ("- one\nnot an item", "1. one\n3. three", "2. two", "1. one\n- two", "-no space"):
        assert blocks(text) == (p(*text.split("\n")),), text


def test_a_numbered_line_inside_a_paragraph_does_not_make_a_list() -> None:
    text = "The first visit\n12. March was the second"
    assert blocks(text) == (p("The first visit", "12. March was the second"),)


def test_markup_writes_plain_blocks_back_as_plain_text() -> None:
    found = (
        p("a", "b"),
        items(ListKind.BULLETED, "x", "y"),
        items(ListKind.NUMBERED, "p", "q"),
    )
    assert markup(found) == "a\nb\n\n- x\n- y\n\n1. p\n2. q"
    assert blocks(markup(found)) == found


def test_plain_text_of_everyday_protocols_is_already_canonical() -> None:
    """Old texts with stray stars, pipes, hashes and backslashes read as they did (no
    marks) and are written back unchanged: nothing in them needed escaping."""
    for text in (
        "Visit 1* (fasting)\nFEV1 < 80% * predicted",
        "Dose 10 mg/m2 | twice daily\nC:\\trials\\asthma",
        "The first visit\n12. March was the second\n- not a list here",
        "#hashtag and ## notes\n\n##### five hashes",
        "2 * 3 = 6",
    ):
        assert blocks(text) == tuple(p(*block.split("\n")) for block in text.split("\n\n"))
        assert markup(blocks(text)) == text, text


# -- the new kinds ------------------------------------------------------------------------------


def test_inline_marks_read_as_bold_italic_and_both() -> None:
    assert inline("**Dose** is *10 mg* or ***never***") == (
        Run("Dose", bold=True),
        Run(" is "),
        Run("10 mg", italic=True),
        Run(" or "),
        Run("never", bold=True, italic=True),
    )


def test_marks_may_overlap() -> None:
    assert inline("**a *b** c*") == (
        Run("a ", bold=True),
        Run("b", bold=True, italic=True),
        Run(" c", italic=True),
    )


def test_a_star_that_opens_nothing_that_closes_stays_a_star() -> None:
    for text in ("2 * 3", "p < 0.05*", "*footnote", "a ** b", "****", "**not closed"):
        assert inline(text) == (Run(text),), text
    assert inline("*a **b** c") == (Run("*a "), Run("b", bold=True), Run(" c"))
    assert inline("***a**") == (Run("*"), Run("a", bold=True))


def test_a_mark_opens_before_a_non_space_and_closes_after_one() -> None:
    assert inline("** a**") == (Run("** a**"),)
    assert inline("**a **") == (Run("**a **"),)
    assert inline("5*3*2") == (Run("5"), Run("3", italic=True), Run("2"))


def test_backslash_escapes_stars_pipes_and_itself_and_is_otherwise_itself() -> None:
    assert inline(r"\*not italic\* \\ \| C:\x") == (Run(r"*not italic* \ | C:\x"),)


def test_escapes_at_a_line_start_keep_a_paragraph_a_paragraph() -> None:
    assert blocks("\\### not a heading") == (p("### not a heading"),)
    assert blocks("\\- one\n- two") == (p("- one", "- two"),)
    assert blocks("1\\. one\n2. two") == (p("1. one", "2. two"),)
    assert blocks("\\| a |\n| --- |") == (p("| a |", "| --- |"),)
    # elsewhere these are text
    assert blocks("a \\- b \\# 1\\.") == (p("a \\- b \\# 1\\."),)


def test_a_one_line_block_of_three_or_four_hashes_is_a_sub_heading() -> None:
    assert blocks("### Visits\n\n#### *Screening*\n\n##### five\n\n### two\nlines") == (
        Heading(level=1, text=plain("Visits")),
        Heading(level=2, text=(Run("Screening", italic=True),)),
        p("##### five"),
        p("### two", "lines"),
    )


def test_a_table_has_a_header_a_delimiter_and_rows_padded_to_the_widest() -> None:
    text = "| Visit | Week |\n|:---|---:|\n| **Screening** | -2 |\n| Baseline |\n| 3 | 4 | extra |"
    assert blocks(text) == (
        Table(
            header=(plain("Visit"), plain("Week"), ()),
            rows=(
                ((Run("Screening", bold=True),), plain("-2"), ()),
                (plain("Baseline"), (), ()),
                (plain("3"), plain("4"), plain("extra")),
            ),
        ),
    )


def test_cells_split_on_unescaped_bars_only() -> None:
    assert blocks("| a \\| b | c\\\\ |\n| - | - |") == (
        Table(header=(plain("a | b"), plain("c\\")), rows=()),
    )


def test_without_a_delimiter_row_bars_are_text() -> None:
    assert blocks("| a |\n| b |") == (p("| a |", "| b |"),)
    assert blocks("| a |") == (p("| a |"),)


def test_markup_writes_each_kind_in_its_canonical_form() -> None:
    found = (
        Heading(level=1, text=plain("Schedule")),
        Table(
            header=(plain("Visit"), plain("Day")),
            rows=(((Run("Screening", bold=True),), ()), (plain("a|b"), plain("1"))),
        ),
        Heading(level=2, text=(Run("Notes", italic=True),)),
        p("### not a heading"),
        p("- one", "* two"),
        p("1. one"),
        p("| x |", "| --- |"),
    )
    text = markup(found)
    assert text == (
        "### Schedule\n\n"
        "| Visit | Day |\n| --- | --- |\n| **Screening** | |\n| a\\|b | 1 |\n\n"
        "#### *Notes*\n\n"
        "\\### not a heading\n\n"
        "\\- one\n* two\n\n"
        "1\\. one\n\n"
        "\\| x |\n| --- |"
    )
    assert blocks(text) == found


def test_markup_normalises_what_it_is_given() -> None:
    given_blocks = (
        Paragraph(((Run("  a  "), Run(" ", bold=True), Run("b ", bold=True)), ())),
        ItemList(ListKind.BULLETED, ((),)),
        Heading(level=2, text=()),
        Table(header=(plain("h"),), rows=((plain("x"), plain("y")),)),
    )
    assert normal(given_blocks) == (
        Paragraph(((Run("a "), Run("b", bold=True)),)),
        Table(header=(plain("h"), ()), rows=((plain("x"), plain("y")),)),
    )
    assert blocks(markup(given_blocks)) == normal(given_blocks)


def test_a_space_is_marked_only_between_marked_neighbours() -> None:
    assert normal_inline((Run("a ", bold=True), Run("b"))) == (Run("a", bold=True), Run(" b"))
    assert normal_inline((Run("a ", bold=True), Run("b", bold=True))) == (Run("a b", bold=True),)
    assert markup((Paragraph(((Run("a ", bold=True), Run("b", italic=True)),)),)) == "**a** *b*"


def test_retexted_changes_every_run_and_drops_what_empties() -> None:
    found = blocks("- a\u200b\n- \u200b\n\n| x\u200b |\n| --- |")
    assert retexted(found, lambda text: text.replace("\u200b", "")) == (
        items(ListKind.BULLETED, "a"),
        Table(header=(plain("x"),), rows=()),
    )


# -- properties ---------------------------------------------------------------------------------

_CHARS = st.sampled_from([*list("ab1 2*\\|#-.:\t"), "é", "\x01", "\xa0"])
_TEXT = st.text(_CHARS, max_size=12)
_RUNS = st.lists(st.builds(Run, _TEXT, bold=st.booleans(), italic=st.booleans()), max_size=5).map(
    tuple
)
_BLOCK: st.SearchStrategy[Block] = st.one_of(
    st.builds(Paragraph, st.lists(_RUNS, max_size=3).map(tuple)),
    st.builds(ItemList, st.sampled_from(ListKind), st.lists(_RUNS, max_size=3).map(tuple)),
    st.builds(Heading, level=st.sampled_from([1, 2]), text=_RUNS),
    st.builds(
        Table,
        header=st.lists(_RUNS, max_size=3).map(tuple),
        rows=st.lists(st.lists(_RUNS, max_size=3).map(tuple), max_size=3).map(tuple),
    ),
)
_BLOCKS = st.lists(_BLOCK, max_size=5)


@given(_BLOCKS)
def test_normalised_blocks_read_back_from_their_markup(found: list[Block]) -> None:
    normalised = normal(found)
    assert normal(normalised) == normalised
    assert blocks(markup(normalised)) == normalised


@given(_BLOCKS)
def test_canonical_text_is_a_fixed_point(found: list[Block]) -> None:
    text = markup(found)
    assert markup(blocks(text)) == text


_LINE = st.text(st.sampled_from([*list("ab1 *\\|#-.:"), "\r", "\t"]), max_size=14)


@given(st.lists(_LINE, max_size=10).map("\n".join))
def test_any_text_reads_as_normalised_blocks_that_read_the_same_once_written(text: str) -> None:
    found = blocks(text)
    assert normal(found) == found
    assert blocks(markup(found)) == found


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_line_reads_as_a_normalised_inline_of_the_same_visible_length_or_less(
    text: str,
) -> None:
    found = inline(text)
    assert normal_inline(found) == found
    assert len(visible(found)) <= len(text)
    assert bool(found) == bool(visible(found))


@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), max_size=12))
def test_blocks_read_from_their_own_markup_are_the_same_blocks(lines: list[str]) -> None:
    found = blocks("\n".join(lines))
    assert blocks(markup(found)) == found
