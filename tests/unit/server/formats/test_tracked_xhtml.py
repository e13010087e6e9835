"""A section's change as XHTML for the web: kept text plain, inserted text in ``ins`` and
deleted text in ``del``, bold and italic kept, table rows added or removed marked on the
row, everything typed escaped. Accepting the marks reads as the new text, rejecting them
as the old."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from server.formats.content import Table, blocks
from server.formats.marked_content import clean_blocks, tracked_blocks
from server.formats.xhtml import XHTML_NAMESPACE, from_xhtml, to_xhtml, tracked_xhtml
from tests.unit.server.formats.test_marked_content import TEXTS, read_blocks, trimmed

X = "{" + XHTML_NAMESPACE + "}"
DIV = f'<div xmlns="{XHTML_NAMESPACE}">'
WRITTEN = {
    X + tag
    for tag in (
        "div", "p", "br", "ul", "ol", "li", "h5", "h6", "table", "thead", "tbody", "tr", "th",
        "td", "strong", "em", "ins", "del",
    )
}  # fmt: skip


def tracked(old: str, new: str) -> str:
    return tracked_xhtml(tracked_blocks(old, new))


def test_a_changed_word_is_deleted_and_its_replacement_inserted_in_the_line() -> None:
    assert tracked("Age 18 to 65 years\nSigned consent", "Age 18 to 75 years\nSigned consent") == (
        f"{DIV}<p>Age 18 to <del>65</del><ins>75</ins> years<br/>Signed consent</p></div>"
    )


def test_bold_and_italic_stay_on_both_sides_and_a_word_made_bold_is_replaced() -> None:
    assert tracked(
        "Visits are **weekly** for *spirometry*",
        "Visits are **monthly** for *spirometry* and ***blood***",
    ) == (
        f"{DIV}<p>Visits are <del><strong>weekly</strong></del><ins><strong>monthly</strong></ins>"
        " for <em>spirometry</em><ins> and <strong><em>blood</em></strong></ins></p></div>"
    )
    assert tracked("Fasting from midnight", "Fasting from **midnight**") == (
        f"{DIV}<p>Fasting from <del>midnight</del><ins><strong>midnight</strong></ins></p></div>"
    )


def test_a_line_break_is_marked_with_the_side_it_is_on() -> None:
    # The break after a deleted first line is on the old side only; one before an added
    # last line on the new side only; between lines on both sides it is kept.
    assert tracked("Screening\nWeek 4\nWeek 12", "Week 4\nWeek 12\nWeek 26") == (
        f"{DIV}<p><del>Screening<br/></del>Week 4<br/>Week 12<ins><br/>Week 26</ins></p></div>"
    )
    assert tracked("Week 4\nHome visit by nurse\nWeek 12", "Week 4\nPhone call\nWeek 12") == (
        f"{DIV}<p>Week 4<del><br/>Home visit by nurse</del><ins><br/>Phone call</ins>"
        "<br/>Week 12</p></div>"
    )


def test_table_rows_added_or_removed_are_marked_on_the_row_and_changed_cells_by_word() -> None:
    old = "| Visit | Week |\n| --- | --- |\n| Screening | -2 |\n| V2 | 4 |\n| V3 | 8 |"
    new = "| Visit | Week |\n| --- | --- |\n| Screening | -2 |\n| V2 | **6** |\n| V4 | 12 |"
    assert tracked(old, new) == (
        f"{DIV}<table><thead><tr><th>Visit</th><th>Week</th></tr></thead><tbody>"
        "<tr><td>Screening</td><td>-2</td></tr>"
        "<tr><td>V2</td><td><del>4</del><ins><strong>6</strong></ins></td></tr>"
        '<tr class="deleted"><td><del>V3</del></td><td><del>8</del></td></tr>'
        '<tr class="inserted"><td><ins>V4</ins></td><td><ins>12</ins></td></tr>'
        "</tbody></table></div>"
    )


def test_a_table_added_is_inserted_whole_from_its_header_row() -> None:
    assert tracked("Intro", "Intro\n\n| Visit |\n| --- |\n| V1 |") == (
        f'{DIV}<p>Intro</p><table><thead><tr class="inserted"><th><ins>Visit</ins></th></tr>'
        '</thead><tbody><tr class="inserted"><td><ins>V1</ins></td></tr></tbody></table></div>'
    )


def test_sub_headings_and_lists_are_marked_like_lines() -> None:
    old = "### Visits\n\n- Fasting from midnight\n- Bring the diary"
    new = "### Clinic Visits\n\n- Fasting from midnight\n- Bring the inhaler\n- Arrive early"
    assert tracked(old, new) == (
        f"{DIV}<h5><ins>Clinic </ins>Visits</h5>"
        "<ul><li>Fasting from midnight</li><li>Bring the <del>diary</del><ins>inhaler</ins></li>"
        "<li><ins>Arrive early</ins></li></ul></div>"
    )
    assert tracked("", "#### Screening\n\n1. Consent") == (
        f"{DIV}<h6><ins>Screening</ins></h6><ol><li><ins>Consent</ins></li></ol></div>"
    )
    assert tracked("Removed **text**", "") == (
        f"{DIV}<p><del>Removed <strong>text</strong></del></p></div>"
    )


def test_typed_markup_is_escaped_in_inserted_and_deleted_text() -> None:
    old = "Keep this & that\n\n| A |\n| --- |\n| <img src=x onerror=alert(1)> |"
    new = (
        "Keep <script>alert(1)</script> & that\n\n| A |\n| --- |\n| <a href='javascript:x'>y</a> |"
    )
    written = tracked(old, new)
    assert all(typed not in written for typed in ("<script", "<img", "<a "))
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins> &amp; that" in written
    assert '<tr class="deleted"><td><del>&lt;img src=x onerror=alert(1)&gt;</del></td></tr>' in (
        written
    )
    assert {element.tag for element in ET.fromstring(written).iter()} <= WRITTEN
    assert from_xhtml(side_of(written, "ins", "del")).blocks == blocks(new)
    assert from_xhtml(side_of(written, "del", "ins")).blocks == blocks(old)


def test_a_section_unchanged_is_written_as_its_clean_xhtml() -> None:
    text = "### Visits\n\n**Six** visits\nover *a year*\n\n- one\n\n| A | B |\n| --- | --- |\n| 1 |"
    assert tracked(text, text) == to_xhtml(blocks(text)) == tracked_xhtml(clean_blocks(text))


def side_of(written: str, keep: str, drop: str) -> str:
    """The XHTML as one side reads it: ``drop`` (``del`` or ``ins``) elements and rows
    marked with it left out, ``keep`` elements replaced by their content, no attribute."""
    tree = ET.fromstring(written)
    dropped_row = "deleted" if drop == "del" else "inserted"
    for parent in list(tree.iter()):
        for at, child in reversed(list(enumerate(parent))):
            if child.tag == X + drop or child.get("class") == dropped_row:
                # the text after the element is the element's tail in ElementTree: kept
                if at:
                    parent[at - 1].tail = (parent[at - 1].tail or "") + (child.tail or "")
                else:
                    parent.text = (parent.text or "") + (child.tail or "")
                parent.remove(child)
    for element in tree.iter():
        element.attrib.clear()
    written = ET.tostring(tree, encoding="unicode", default_namespace=XHTML_NAMESPACE)
    return written.replace(f"<{keep}>", "").replace(f"</{keep}>", "")


def without_empty_columns(found: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(trimmed(b) if isinstance(b, Table) else b for b in found)


@given(TEXTS, TEXTS, st.booleans())
def test_accepting_the_marks_reads_as_the_new_text_and_rejecting_them_as_the_old(
    old: str, new: str, accept: bool
) -> None:
    written = tracked(old, new)
    assert {element.tag for element in ET.fromstring(written).iter()} <= WRITTEN
    keep, drop, text = ("ins", "del", new) if accept else ("del", "ins", old)
    read = from_xhtml(side_of(written, keep, drop)).blocks
    assert without_empty_columns(read) == read_blocks(text)
