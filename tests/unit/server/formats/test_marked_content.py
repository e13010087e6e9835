"""A section's blocks marked kept, inserted or deleted: the tracked copy of a section reads
as the old text with its deletions and as the new with its insertions, and a tracked DOCX
paragraph accepts into the new text and rejects into the old."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import docx
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from domain.protocol_diff import Mark
from server.formats.content import (
    Block,
    Heading,
    Inline,
    ItemList,
    ListKind,
    Paragraph,
    Table,
    blocks,
    visible,
)
from server.formats.marked_content import (
    MarkedBlock,
    MarkedHeading,
    MarkedLine,
    MarkedList,
    MarkedParagraph,
    MarkedRow,
    MarkedRun,
    MarkedTable,
    clean_blocks,
    line,
    tracked_blocks,
)
from server.formats.protocol_document import DocumentSection, ProtocolDocument, Revision
from server.formats.protocol_docx import render_docx
from server.formats.protocol_pdf import render_pdf

OTHER = {Mark.DELETED: Mark.INSERTED, Mark.INSERTED: Mark.DELETED}


def side(found: tuple[MarkedBlock, ...], mark: Mark) -> tuple[Block, ...]:
    """The blocks as one side reads them: ``DELETED`` the old, ``INSERTED`` the new
    (tables without the empty columns either side may have only for the other's sake)."""
    result: list[Block] = []
    for block in found:
        match block:
            case MarkedParagraph(lines=lines) | MarkedList(items=lines):
                texts = tuple(ln.side_inline(mark) for ln in lines if ln.whole is not OTHER[mark])
                if not texts:
                    continue
                if isinstance(block, MarkedList):
                    result.append(ItemList(block.kind, texts))
                else:
                    result.append(Paragraph(texts))
            case MarkedHeading(level=level, text=text):
                if text.whole is not OTHER[mark]:
                    result.append(Heading(level=level, text=text.side_inline(mark)))
            case MarkedTable(header=header, rows=rows):
                if header.mark is OTHER[mark]:
                    continue
                result.append(
                    trimmed(
                        Table(
                            header=_row_side(header, mark),
                            rows=tuple(
                                _row_side(r, mark) for r in rows if r.mark is not OTHER[mark]
                            ),
                        )
                    )
                )
    return tuple(result)


def _row_side(row: MarkedRow, mark: Mark) -> tuple[Inline, ...]:
    return tuple(cell.side_inline(mark) for cell in row.cells)


def trimmed(table: Table) -> Table:
    """The table without trailing columns empty in every row."""
    width = len(table.header)
    while width > 1 and not any(row[width - 1] for row in (table.header, *table.rows)):
        width -= 1
    return Table(header=table.header[:width], rows=tuple(row[:width] for row in table.rows))


def read_blocks(text: str) -> tuple[Block, ...]:
    return tuple(trimmed(b) if isinstance(b, Table) else b for b in blocks(text))


def lines_in(block: MarkedBlock) -> tuple[MarkedLine, ...]:
    match block:
        case MarkedParagraph(lines=lines) | MarkedList(items=lines):
            return lines
        case MarkedHeading(text=text):
            return (text,)
        case MarkedTable(header=header, rows=rows):
            return header.cells + tuple(cell for row in rows for cell in row.cells)


def marks(found: tuple[MarkedBlock, ...]) -> list[list[tuple[str, str]]]:
    """Each block's lines as (whole mark, text) for reading a test's expectation."""
    return [[(ln.whole.value, ln.text) for ln in lines_in(b)] for b in found]


def test_a_clean_section_is_its_blocks_all_kept() -> None:
    found = clean_blocks("Adults:\n\n- aged 18\n- with asthma\n\n1. first\n2. second")
    assert [type(b).__name__ for b in found] == ["MarkedParagraph", "MarkedList", "MarkedList"]
    assert {ln.whole for b in found for ln in lines_in(b)} == {Mark.KEPT}
    assert [b.kind for b in found if isinstance(b, MarkedList)] == [
        ListKind.BULLETED,
        ListKind.NUMBERED,
    ]


def test_a_changed_line_is_marked_word_by_word_and_lines_apart_are_whole() -> None:
    old = "Current smoker\nPregnancy or breastfeeding\nAnother product within 30 days"
    new = "Current smoker\nAnother product within 90 days\nLung surgery in the past year"
    found = tracked_blocks(old, new)
    assert marks(found) == [
        [
            ("kept", "Current smoker"),
            ("deleted", "Pregnancy or breastfeeding"),
            ("kept", "Another product within 3090 days"),
            ("inserted", "Lung surgery in the past year"),
        ]
    ]
    [paragraph] = found
    assert isinstance(paragraph, MarkedParagraph)
    assert paragraph.lines[2].runs == (
        MarkedRun("Another product within ", Mark.KEPT),
        MarkedRun("30", Mark.DELETED),
        MarkedRun("90", Mark.INSERTED),
        MarkedRun(" days", Mark.KEPT),
    )


def test_a_list_item_changes_within_its_list_and_a_new_block_is_inserted_whole() -> None:
    found = tracked_blocks("- at least 18\n- at most 65", "- at least 18\n- at most 75\n\nNote.")
    assert marks(found) == [
        [("kept", "at least 18"), ("kept", "at most 6575")],
        [("inserted", "Note.")],
    ]


def test_a_block_that_changed_its_kind_is_deleted_and_inserted() -> None:
    found = tracked_blocks("one\ntwo", "- one\n- two")
    assert [type(b).__name__ for b in found] == ["MarkedParagraph", "MarkedList"]
    assert marks(found) == [
        [("deleted", "one"), ("deleted", "two")],
        [("inserted", "one"), ("inserted", "two")],
    ]


def test_an_unlike_first_line_replaced_reads_on_one_line() -> None:
    """A break between a wholly deleted first line and a wholly inserted one would be on
    neither side: they share a line."""
    found = tracked_blocks("Alpha beta\nkept", "Gamma delta\nkept")
    assert marks(found) == [[("kept", "Alpha betaGamma delta"), ("kept", "kept")]]


def test_bold_and_italic_survive_marking_and_a_word_made_bold_is_replaced() -> None:
    found = tracked_blocks("Take **10 mg** daily", "Take **10 mg** *twice* **daily**")
    [paragraph] = found
    assert isinstance(paragraph, MarkedParagraph)
    assert paragraph.lines[0].runs == (
        MarkedRun("Take ", Mark.KEPT),
        MarkedRun("10 mg", Mark.KEPT, bold=True),
        MarkedRun(" ", Mark.KEPT),
        MarkedRun("daily", Mark.DELETED),
        MarkedRun("twice", Mark.INSERTED, italic=True),
        MarkedRun(" ", Mark.INSERTED),
        MarkedRun("daily", Mark.INSERTED, bold=True),
    )


def test_a_sub_heading_changes_word_by_word_and_one_of_another_level_is_replaced() -> None:
    found = tracked_blocks("### Screening visit\n\ntext", "### Screening day\n\ntext")
    assert marks(found) == [[("kept", "Screening visitday")], [("kept", "text")]]
    assert isinstance(found[0], MarkedHeading)
    found = tracked_blocks("### Screening", "#### Screening")
    assert [(type(b).__name__, marks((b,))) for b in found] == [
        ("MarkedHeading", [[("deleted", "Screening")]]),
        ("MarkedHeading", [[("inserted", "Screening")]]),
    ]


SCHEDULE = "| Visit | Day |\n| --- | --- |\n| Screening | -14 |\n| Baseline | 1 |\n| Week 4 | 28 |"


def test_a_changed_cell_marks_its_words_and_added_or_removed_rows_are_whole() -> None:
    new = "| Visit | Day |\n| --- | --- |\n| Screening | -28 |\n| Week 4 | 28 |\n| Week 8 | 56 |"
    [table] = tracked_blocks(SCHEDULE, new)
    assert isinstance(table, MarkedTable)
    assert table.header == MarkedRow((line("Visit"), line("Day")))
    assert [(row.mark.value, [c.text for c in row.cells]) for row in table.rows] == [
        ("kept", ["Screening", "-1428"]),
        ("deleted", ["Baseline", "1"]),
        ("kept", ["Week 4", "28"]),
        ("inserted", ["Week 8", "56"]),
    ]
    screening = table.rows[0].cells[1]
    assert screening.runs == (
        MarkedRun("-", Mark.KEPT),
        MarkedRun("14", Mark.DELETED),
        MarkedRun("28", Mark.INSERTED),
    )
    assert {c.whole for c in table.rows[1].cells} == {Mark.DELETED}
    assert {c.whole for c in table.rows[3].cells} == {Mark.INSERTED}


def test_a_column_added_marks_its_cells_inserted() -> None:
    new = "| Visit | Day | Window |\n| --- | --- | --- |\n| Screening | -14 | ±3 |"
    [table] = tracked_blocks("| Visit | Day |\n| --- | --- |\n| Screening | -14 |", new)
    assert marks((table,)) == [
        [
            ("kept", "Visit"),
            ("kept", "Day"),
            ("inserted", "Window"),
            ("kept", "Screening"),
            ("kept", "-14"),
            ("inserted", "±3"),
        ]
    ]


WORDS = st.sampled_from(
    ["age", "18", "65", "75", "years", "asthma", "**age**", "*years*", "- x", "1. y", "2. z"]
)
LINES = st.one_of(
    st.lists(WORDS, min_size=1, max_size=4).map(" ".join),
    st.sampled_from(
        [
            "### Visits",
            "#### *Screening*",
            "| Visit | Day |",
            "| --- | --- |",
            "| Screening | **-14** |",
            "| Baseline | 1 | extra |",
            "| Week 4 |",
        ]
    ),
)
TEXTS = st.lists(st.one_of(LINES, st.just("")), max_size=8).map("\n".join)


@given(TEXTS, TEXTS)
def test_the_old_side_reads_as_the_old_text_and_the_new_as_the_new(old: str, new: str) -> None:
    found = tracked_blocks(old, new)
    assert side(found, Mark.DELETED) == read_blocks(old)
    assert side(found, Mark.INSERTED) == read_blocks(new)
    assert side(tracked_blocks(new, new), Mark.INSERTED) == read_blocks(new)
    assert all(ln.whole is Mark.KEPT for b in tracked_blocks(new, new) for ln in lines_in(b))


def _document(*sections: DocumentSection) -> ProtocolDocument:
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    return ProtocolDocument(
        title="Trial",
        copy_label="Tracked changes against version 1",
        running_head="t · tracked",
        title_page=(("Version Number", "2"),),
        amendment=None,
        sections=sections,
        tracked_against=1,
        sponsor="Sponsor",
        generated_at=now,
        file_stem="t",
    )


def _opened(section: DocumentSection) -> Any:
    """The section rendered alone as DOCX, opened again (python-docx's own view of it)."""
    return docx.Document(io.BytesIO(render_docx(_document(section))))


def _side_text(paragraph: object, *, accepted: bool) -> str:
    keep, drop = (qn("w:ins"), qn("w:del")) if accepted else (qn("w:del"), qn("w:ins"))
    text = []
    element = paragraph._p  # type: ignore[attr-defined]
    for node in element.iter(qn("w:t"), qn("w:delText"), qn("w:br")):
        ancestors = {a.tag for a in node.iterancestors()}
        if drop in ancestors or (node.tag == qn("w:delText") and keep not in ancestors):
            continue
        text.append("\n" if node.tag == qn("w:br") else node.text or "")
    return "".join(text)


@settings(max_examples=40, deadline=None)
@given(TEXTS, TEXTS)
def test_a_tracked_docx_section_accepts_into_the_new_text_and_rejects_into_the_old(
    old: str, new: str
) -> None:
    section = DocumentSection(
        number="5.3",
        heading=line("Exclusion Criteria"),
        blocks=tracked_blocks(old, new),
        revision=Revision(author="Ivy", at=datetime(2030, 1, 1, tzinfo=UTC)),
    )
    document = _opened(section)
    paragraphs = document.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.style.name == "Heading 2")
    body = paragraphs[start + 1 :]

    def read(accepted: bool) -> list[str]:
        # a paragraph whose mark is on the other side is not a paragraph of that text
        gone = qn("w:del") if accepted else qn("w:ins")
        return [
            _side_text(p, accepted=accepted)
            for p in body
            if p._p.pPr is None
            or p._p.pPr.find(qn("w:rPr")) is None
            or p._p.pPr.find(qn("w:rPr")).find(gone) is None
        ]

    def expected(text: str) -> list[str]:
        found: list[str] = []
        for block in blocks(text):
            if isinstance(block, Paragraph):
                found.append("\n".join(map(visible, block.lines)))
            elif isinstance(block, ItemList):
                found += map(visible, block.items)
            elif isinstance(block, Heading):
                found.append(visible(block.text))
        return found

    def tables(accepted: bool) -> list[list[list[str]]]:
        gone = qn("w:del") if accepted else qn("w:ins")
        return [
            [
                [_side_text(cell.paragraphs[0], accepted=accepted) for cell in row.cells]
                for row in table.rows
                if row._tr.trPr is None or row._tr.trPr.find(gone) is None
            ]
            for table in document.tables[1:]  # the first: the title page's fields
        ]

    def expected_tables(text: str) -> list[list[list[str]]]:
        return [
            [list(map(visible, row)) for row in (b.header, *b.rows)]
            for b in read_blocks(text)
            if isinstance(b, Table)
        ]

    def without_empty_columns(found: list[list[list[str]]]) -> list[list[list[str]]]:
        result = []
        for table in found:
            if not table:  # every row rejected (or accepted away): Word drops the table
                continue
            width = len(table[0])
            while width > 1 and not any(row[width - 1] for row in table):
                width -= 1
            result.append([row[:width] for row in table])
        return result

    assert read(accepted=True) == expected(new)
    assert read(accepted=False) == expected(old)
    assert without_empty_columns(tables(accepted=True)) == expected_tables(new)
    assert without_empty_columns(tables(accepted=False)) == expected_tables(old)


def test_each_numbered_list_in_a_docx_starts_again_at_one() -> None:
    section = DocumentSection(
        number="1.3",
        heading=line("Schedule of Activities"),
        blocks=clean_blocks("1. screening\n2. first dose\n\nThen:\n\n1. follow-up\n2. end"),
    )
    document = _opened(section)
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in numbered] == ["screening", "first dose", "follow-up", "end"]
    ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert ids[0] == ids[1] != ids[2] == ids[3]
    numbering = document.part.numbering_part.element
    for num_id in {ids[0], ids[2]}:
        [num] = [n for n in numbering.iter(qn("w:num")) if n.get(qn("w:numId")) == str(num_id)]
        [start] = num.iter(qn("w:startOverride"))
        assert start.get(qn("w:val")) == "1"


def test_a_wholly_inserted_line_marks_its_break_inserted() -> None:
    lines = (line("kept"), MarkedLine((MarkedRun("new", Mark.INSERTED),)))
    section = DocumentSection(
        number="5.3", heading=line("Exclusion Criteria"), blocks=(MarkedParagraph(lines),)
    )
    document = _opened(section)
    [paragraph] = [p for p in document.paragraphs if "kept" in p.text]
    inserted = list(paragraph._p.iter(qn("w:ins")))
    assert [[c.tag for c in i.iter(qn("w:br"), qn("w:t"))] for i in inserted] == [
        [qn("w:br")],
        [qn("w:t")],
    ]
    # no revision given: the generator, at the time the document was made
    assert {(i.get(qn("w:author")), i.get(qn("w:date"))) for i in inserted} == {
        ("Concord", "2030-01-02T03:04:05Z")
    }


def test_a_pdf_numbers_a_tracked_list_as_it_reads_and_shows_any_script() -> None:
    section = DocumentSection(
        number="5.3",
        heading=line("Κριτήρια αποκλεισμού — критерии"),
        blocks=tracked_blocks("1. one\n2. two\n3. three", "1. one\n2. three\n3. four"),
    )
    body = render_pdf(_document(section))
    text = " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(body)).pages
    )
    # kept and inserted items numbered as the new list; the deleted one keeps its old number
    assert "5.3 Κριτήρια αποκλεισμού — критерии 1. one 2. two 2. three 3. four" in text
    assert "Page 1 of" in text
    assert "t · tracked" in text


def test_the_docx_asks_word_to_update_its_fields_where_its_settings_allow() -> None:
    section = DocumentSection(number="5.3", heading=line("Exclusion Criteria"), blocks=())
    settings_element = _opened(section).settings.element
    tags = [child.tag for child in settings_element]
    update = tags.index(qn("w:updateFields"))
    assert settings_element[update].get(qn("w:val")) == "true"
    # CT_Settings is a sequence: w:updateFields comes before w:compat and w:rsids
    assert update < tags.index(qn("w:compat")) < tags.index(qn("w:rsids"))
