"""Blocks to XHTML and (X)HTML from elsewhere back to blocks, sanitised."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from server.formats.content import (
    Heading,
    ItemList,
    ListKind,
    Paragraph,
    Run,
    Table,
    blocks,
    markup,
    normal,
    plain,
)
from server.formats.xhtml import EMPTY_XHTML, XHTML_NAMESPACE, from_xhtml, inline_text, to_xhtml

X = "{" + XHTML_NAMESPACE + "}"
ALLOWED = {
    X + tag
    for tag in (
        "div", "p", "br", "ul", "ol", "li", "h5", "h6", "table", "thead", "tbody", "tr", "th",
        "td", "strong", "em",
    )
}  # fmt: skip


def p(*lines: str) -> Paragraph:
    return Paragraph(tuple(plain(line) for line in lines))


def items(kind: ListKind, *texts: str) -> ItemList:
    return ItemList(kind, tuple(plain(text) for text in texts))


def _elements(markup: str) -> list[ET.Element]:
    return list(ET.fromstring(markup).iter())


def test_paragraphs_lines_and_lists_become_xhtml() -> None:
    found = blocks("Age 18 to 65\nSigned consent\n\n- one\n- two\n\n1. first\n2. second")
    assert to_xhtml(found) == (
        f'<div xmlns="{XHTML_NAMESPACE}"><p>Age 18 to 65<br/>Signed consent</p>'
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol></div>"
    )


def test_no_blocks_is_an_empty_div() -> None:
    assert to_xhtml(()) == EMPTY_XHTML


def test_markup_in_text_is_escaped_and_what_xml_cannot_hold_is_left_out() -> None:
    markup = to_xhtml(blocks('<script>alert("x")</script> & \x01 \ufffe done'))
    assert "<script>" not in markup
    root = ET.fromstring(markup)
    assert [e.tag for e in root.iter()] == [X + "div", X + "p"]
    assert root[0].text == '<script>alert("x")</script> & done'


_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
_MARKUP = st.lists(
    st.lists(
        st.sampled_from(
            ["a", "b", " ", "<", "&", "*", "**", "|", "| --- |", "#", "- ", "1. ", "\\"]
        ),
        max_size=8,
    ).map("".join),
    max_size=10,
).map("\n".join)


@given(st.one_of(_TEXT, _MARKUP))
def test_any_text_becomes_well_formed_xhtml_of_known_elements_that_reads_back(text: str) -> None:
    written = to_xhtml(blocks(text))
    assert {e.tag for e in _elements(written)} <= ALLOWED
    assert from_xhtml(written).blocks == blocks(text)


def test_scripts_styles_and_their_content_are_dropped_and_reported() -> None:
    parsed = from_xhtml(
        "<div><script>alert(1)</script><style>p{}</style><p onclick='x()'>Hi</p>"
        "<svg><script>evil()</script><text>drawn</text></svg><iframe src='x'></iframe></div>"
    )
    assert parsed.blocks == (p("Hi"),)
    assert "removed <script> with its content" in parsed.notes
    assert "removed <svg> with its content" in parsed.notes
    assert "removed <iframe> with its content" in parsed.notes


def test_inline_markup_keeps_its_text_and_entities_are_characters() -> None:
    parsed = from_xhtml("<p>Dose 10 mg/m<sup>2</sup> &amp; &lt;more&gt; &eacute;&#233;</p>")
    assert parsed.blocks == (p("Dose 10 mg/m2 & <more> éé"),)
    assert parsed.notes == ()


def test_lists_with_paragraphs_and_nested_lists_flatten_to_one_line_items() -> None:
    parsed = from_xhtml("<ol><li><p>a</p><p>b</p></li><li>c<ul><li>d</li></ul>e</li></ol>")
    assert parsed.blocks == (items(ListKind.NUMBERED, "a b", "c", "d", "e"),)
    assert parsed.notes == ("nested list items joined the outer list",)


def test_a_table_reads_as_a_table_its_first_row_the_header() -> None:
    parsed = from_xhtml(
        "<p>Before</p><table><caption>Visits</caption><tr><th>Visit</th><th>Week</th></tr>"
        "<tr><td>Screening</td><td><b>-2</b></td></tr><tr><td>End</td></tr></table><p>After</p>"
    )
    assert parsed.blocks == (
        p("Before"),
        p("Visits"),
        Table(
            header=(plain("Visit"), plain("Week")),
            rows=((plain("Screening"), (Run("-2", bold=True),)), (plain("End"), ())),
        ),
        p("After"),
    )
    assert parsed.notes == ()


def test_what_a_cell_cannot_hold_joins_its_text() -> None:
    parsed = from_xhtml(
        "<table><thead><tr><th colspan='2'>A<br/>B</th></tr></thead>"
        "<tbody><tr><td><p>one</p><ul><li>two</li><li>three</li></ul></td>"
        "<td><table><tr><td>inner</td><td>cells</td></tr></table></td></tr></tbody></table>"
    )
    assert parsed.blocks == (
        Table(
            header=(plain("A B"), ()),
            rows=((plain("one two three"), plain("inner cells")),),
        ),
    )
    assert set(parsed.notes) == {
        "merged table cells read as one cell each",
        "a table inside a table read as text",
    }


def test_bold_and_italic_elements_mark_their_text() -> None:
    parsed = from_xhtml(
        "<p><b>Dose</b> <strong>10 <i>mg</i></strong> <em>daily</em> <span>as</span> <i>"
        "<b>needed</b></i></p>"
    )
    assert parsed.blocks == (
        Paragraph(
            (
                (
                    Run("Dose", bold=True),
                    Run(" "),
                    Run("10 ", bold=True),
                    Run("mg", bold=True, italic=True),
                    Run(" "),
                    Run("daily", italic=True),
                    Run(" as "),
                    Run("needed", bold=True, italic=True),
                ),
            )
        ),
    )


def test_headings_inside_the_text_become_sub_headings() -> None:
    parsed = from_xhtml("<h2>Visits</h2><p>text</p><h3>Screening <i>day</i></h3><h4>deeper</h4>")
    assert parsed.blocks == (
        Heading(level=1, text=plain("Visits")),
        p("text"),
        Heading(level=2, text=(Run("Screening "), Run("day", italic=True))),
        Heading(level=2, text=plain("deeper")),
    )
    # Concord's own h5 and h6, alone or together, read back as written
    assert from_xhtml("<h6>two</h6>").blocks == (Heading(level=2, text=plain("two")),)
    assert from_xhtml("<h5>one</h5><h6>two</h6>").blocks == (
        Heading(level=1, text=plain("one")),
        Heading(level=2, text=plain("two")),
    )


def test_a_heading_inside_a_list_item_or_cell_is_its_text() -> None:
    parsed = from_xhtml("<ul><li><h2>a</h2>b</li></ul><table><tr><td><h1>c</h1>d</td></tr></table>")
    assert parsed.blocks == (
        items(ListKind.BULLETED, "a b"),
        Table(header=(plain("c d"),), rows=()),
    )


def test_every_kind_becomes_xhtml() -> None:
    found = blocks(
        "### Schedule\n\n| Visit | **Day** |\n| --- | --- |\n| *Screening* | |\n\n"
        "#### Notes\n\nPlain ***both***"
    )
    assert to_xhtml(found) == (
        f'<div xmlns="{XHTML_NAMESPACE}"><h5>Schedule</h5>'
        "<table><thead><tr><th>Visit</th><th><strong>Day</strong></th></tr></thead>"
        "<tbody><tr><td><em>Screening</em></td><td></td></tr></tbody></table>"
        "<h6>Notes</h6><p>Plain <strong><em>both</em></strong></p></div>"
    )
    assert from_xhtml(to_xhtml(found)).blocks == found


def test_a_table_without_body_rows_has_no_tbody() -> None:
    assert to_xhtml(blocks("| a |\n| --- |")) == (
        f'<div xmlns="{XHTML_NAMESPACE}"><table><thead><tr><th>a</th></tr></thead></table></div>'
    )


def test_script_typed_into_text_stays_text_in_every_kind() -> None:
    typed = (
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(2)">',
        "[x](javascript:alert(3))",
        '"><svg onload=alert(4)>',
    )
    text = markup(
        (
            p(*typed),
            items(ListKind.BULLETED, *typed),
            Heading(level=1, text=plain(typed[1])),
            Table(header=tuple(plain(t) for t in typed), rows=(tuple(plain(t) for t in typed),)),
        )
    )
    written = to_xhtml(blocks(text))
    assert "<script" not in written
    assert "<img" not in written
    assert "<svg" not in written
    root = ET.fromstring(written)
    assert {e.tag for e in root.iter()} <= ALLOWED
    assert not any(e.attrib for e in root.iter() if e is not root)
    texts = " ".join(t for e in root.iter() for t in (e.text, e.tail) if t)
    for one in typed:
        assert one in texts
    assert from_xhtml(written).blocks == blocks(text)


def test_usdm_references_are_resolved_or_reported() -> None:
    def resolve(klass: str, id_: str, attribute: str) -> str | None:
        return "Xanomeline" if (klass, id_, attribute) == ("StudyTitle", "T1", "text") else None

    parsed = from_xhtml(
        '<p><usdm:ref attribute="text" id="T1" klass="StudyTitle"></usdm:ref> and'
        ' <usdm:ref attribute="text" id="O9" klass="Objective"/></p>',
        resolve,
    )
    assert parsed.blocks == (p("Xanomeline and"),)
    assert parsed.notes == ("unresolved reference to Objective O9 (text) left out",)


def test_images_are_dropped_with_their_alt_text_kept() -> None:
    parsed = from_xhtml('<p>See <img src="javascript:x" alt="Figure 1"/> below</p>')
    assert parsed.blocks == (p("See [Figure 1] below"),)


def test_deep_nesting_is_bounded_and_read_as_text() -> None:
    parsed = from_xhtml("<div>" * 5000 + "deep" + "</div>" * 5000)
    assert parsed.blocks == (p("deep"),)
    assert parsed.notes[0].startswith("elements nested deeper than 64")


def test_text_beyond_the_limit_is_cut() -> None:
    parsed = from_xhtml("<p>" + "x" * 100 + "</p>", max_chars=10)
    assert parsed.blocks == (p("x" * 10),)
    assert parsed.notes == ("text beyond the size limit cut",)


def test_malformed_html_still_reads() -> None:
    parsed = from_xhtml("<p>one<p>two</span></div><ul><li>three")
    assert parsed.blocks == (p("one"), p("two"), items(ListKind.BULLETED, "three"))


def test_inline_text_reads_markup_as_one_line() -> None:
    assert inline_text("<div><p>To evaluate</p><p>the <i>safety</i></p></div>") == (
        "To evaluate the safety"
    )


_TAGS = (
    "p", "div", "br", "ul", "ol", "li", "h1", "h3", "h5", "h6", "table", "thead", "tbody", "tr",
    "td", "th", "caption", "b", "i", "strong", "em", "span", "script", "img", "hr",
)  # fmt: skip
_SOUP = st.lists(
    st.one_of(
        st.sampled_from(
            [f"<{t}>" for t in _TAGS] + [f"</{t}>" for t in _TAGS] + ["<td colspan=2>"]
        ),
        st.text("ab *|#-\\&<>", max_size=5),
    ),
    max_size=30,
).map("".join)


@given(_SOUP)
def test_any_tag_soup_reads_as_blocks_that_survive_markup_and_xhtml(html: str) -> None:
    """What an import records (markup) and exports again (XHTML) reads as it was read."""
    found = from_xhtml(html).blocks
    assert normal(found) == found
    assert blocks(markup(found)) == found
    assert from_xhtml(to_xhtml(found)).blocks == found
