"""Blocks to XHTML and (X)HTML from elsewhere back to blocks, sanitised."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from server.formats.content import ItemList, ListKind, Paragraph, blocks
from server.formats.xhtml import EMPTY_XHTML, XHTML_NAMESPACE, from_xhtml, inline_text, to_xhtml

X = "{" + XHTML_NAMESPACE + "}"
ALLOWED = {X + tag for tag in ("div", "p", "br", "ul", "ol", "li")}


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


@given(_TEXT)
def test_any_text_becomes_well_formed_xhtml_of_known_elements_that_reads_back(text: str) -> None:
    markup = to_xhtml(blocks(text))
    assert {e.tag for e in _elements(markup)} <= ALLOWED
    assert from_xhtml(markup).blocks == blocks(text)


def test_scripts_styles_and_their_content_are_dropped_and_reported() -> None:
    parsed = from_xhtml(
        "<div><script>alert(1)</script><style>p{}</style><p onclick='x()'>Hi</p>"
        "<svg><script>evil()</script><text>drawn</text></svg><iframe src='x'></iframe></div>"
    )
    assert parsed.blocks == (Paragraph(("Hi",)),)
    assert "removed <script> with its content" in parsed.notes
    assert "removed <svg> with its content" in parsed.notes
    assert "removed <iframe> with its content" in parsed.notes


def test_inline_markup_keeps_its_text_and_entities_are_characters() -> None:
    parsed = from_xhtml("<p>Dose <b>10</b> mg/m<sup>2</sup> &amp; &lt;more&gt; &eacute;&#233;</p>")
    assert parsed.blocks == (Paragraph(("Dose 10 mg/m2 & <more> éé",)),)
    assert parsed.notes == ()


def test_lists_with_paragraphs_and_nested_lists_flatten_to_one_line_items() -> None:
    parsed = from_xhtml("<ol><li><p>a</p><p>b</p></li><li>c<ul><li>d</li></ul>e</li></ol>")
    assert parsed.blocks == (ItemList(ListKind.NUMBERED, ("a b", "c", "d", "e")),)
    assert parsed.notes == ("nested list items joined the outer list",)


def test_a_table_becomes_a_line_per_row() -> None:
    parsed = from_xhtml(
        "<p>Before</p><table><tr><th>Visit</th><th>Week</th></tr>"
        "<tr><td>Screening</td><td>-2</td></tr></table><p>After</p>"
    )
    assert parsed.blocks == (
        Paragraph(("Before",)),
        Paragraph(("Visit | Week", "Screening | -2")),
        Paragraph(("After",)),
    )
    assert parsed.notes == ("a table flattened to a line per row, cells apart by ' | '",)


def test_usdm_references_are_resolved_or_reported() -> None:
    def resolve(klass: str, id_: str, attribute: str) -> str | None:
        return "Xanomeline" if (klass, id_, attribute) == ("StudyTitle", "T1", "text") else None

    parsed = from_xhtml(
        '<p><usdm:ref attribute="text" id="T1" klass="StudyTitle"></usdm:ref> and'
        ' <usdm:ref attribute="text" id="O9" klass="Objective"/></p>',
        resolve,
    )
    assert parsed.blocks == (Paragraph(("Xanomeline and",)),)
    assert parsed.notes == ("unresolved reference to Objective O9 (text) left out",)


def test_images_are_dropped_with_their_alt_text_kept() -> None:
    parsed = from_xhtml('<p>See <img src="javascript:x" alt="Figure 1"/> below</p>')
    assert parsed.blocks == (Paragraph(("See [Figure 1] below",)),)


def test_deep_nesting_is_bounded_and_read_as_text() -> None:
    parsed = from_xhtml("<div>" * 5000 + "deep" + "</div>" * 5000)
    assert parsed.blocks == (Paragraph(("deep",)),)
    assert parsed.notes[0].startswith("elements nested deeper than 64")


def test_text_beyond_the_limit_is_cut() -> None:
    parsed = from_xhtml("<p>" + "x" * 100 + "</p>", max_chars=10)
    assert parsed.blocks == (Paragraph(("x" * 10,)),)
    assert parsed.notes == ("text beyond the size limit cut",)


def test_malformed_html_still_reads() -> None:
    parsed = from_xhtml("<p>one<p>two</span></div><ul><li>three")
    assert parsed.blocks == (
        Paragraph(("one",)),
        Paragraph(("two",)),
        ItemList(ListKind.BULLETED, ("three",)),
    )


def test_inline_text_reads_markup_as_one_line() -> None:
    assert inline_text("<div><p>To evaluate</p><p>the <i>safety</i></p></div>") == (
        "To evaluate the safety"
    )
