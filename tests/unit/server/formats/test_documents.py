"""The protocol documents draw the rich section text: bold and italic runs, sub-headings
(kept out of the contents), and tables with a shaded header row repeated on each page, in
a clean copy and a tracked one; the PDF read back with pypdf (what is drawn where, in which
font and colour), the DOCX as its XML."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import docx
from docx.oxml.ns import qn
from pypdf import PdfReader

from server.formats.marked_content import MarkedBlock, clean_blocks, line, tracked_blocks
from server.formats.protocol_document import DocumentSection, ProtocolDocument, Revision
from server.formats.protocol_docx import render_docx
from server.formats.protocol_pdf import (
    DELETED_COLOUR,
    HEADER_SHADE,
    INSERTED_COLOUR,
    ROW_SHADES,
    render_pdf,
)

SCHEDULE = (
    "Visits are in weeks from randomisation.\n\n"
    "### Treatment period\n\n"
    "| Visit | Week | **Spirometry** |\n"
    "| --- | --- | --- |\n"
    "| Screening | -2 | *yes* |\n"
    "| Baseline | 0 | yes |\n"
    "| Week 4 | 4 | <b>no</b> |\n\n"
    "#### Notes\n\n"
    "Take **10 mg** *daily* with ***food***."
)
CHANGED = (
    "Visits are in weeks from randomisation.\n\n"
    "### Treatment period\n\n"
    "| Visit | Week | **Spirometry** |\n"
    "| --- | --- | --- |\n"
    "| Screening | -4 | *yes* |\n"
    "| Week 4 | 4 | <b>no</b> |\n"
    "| Week 8 | 8 | yes |\n\n"
    "#### Notes\n\n"
    "Take **10 mg** *daily* with ***food***."
)
IVY = Revision(author="Dr Ivy Chen", at=datetime(2030, 1, 1, tzinfo=UTC))


def document(blocks: tuple[MarkedBlock, ...], *, tracked: bool = False) -> ProtocolDocument:
    section = DocumentSection(
        number="1.3",
        heading=line("Schedule of Activities"),
        blocks=blocks,
        revision=IVY if tracked else None,
    )
    return ProtocolDocument(
        title="Trial",
        copy_label="Tracked changes against version 1" if tracked else "Clean copy",
        running_head="t",
        title_page=(("Version Number", "2"),),
        amendment=None,
        sections=(section,),
        tracked_against=1 if tracked else None,
        sponsor="Sponsor",
        generated_at=datetime(2030, 1, 2, tzinfo=UTC),
        file_stem="t",
    )


# -- the PDF ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drawn:
    text: str
    page: int
    x: float
    y: float
    font: str


def drawn(body: bytes) -> list[Drawn]:
    """Each piece of text the PDF draws: on which page, where (its start), in which font."""
    found: list[Drawn] = []
    for number, page in enumerate(PdfReader(io.BytesIO(body)).pages, start=1):
        pieces: list[tuple[str, float, float, str]] = []

        def text(
            value: str, cm: Any, tm: Any, font: Any, size: Any, into: list[Any] = pieces
        ) -> None:
            if value.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                into.append((value.strip(), x, y, str(font.get("/BaseFont", "")) if font else ""))

        page.extract_text(visitor_text=text)
        found += (Drawn(t, number, round(x), round(y), f) for t, x, y, f in pieces)
    return found


def coloured(body: bytes) -> dict[tuple[float, ...], list[str]]:
    """The text shown in each fill colour: each text operator (Tj, TJ) with the colour set
    before it (ASCII text reads as itself in the embedded font's subset)."""
    found: dict[tuple[float, ...], list[str]] = {}
    colour: list[tuple[float, ...]] = [(0.0, 0.0, 0.0)]

    def text_of(operand: Any) -> str:
        if isinstance(operand, list):
            return "".join(text_of(part) for part in operand if not isinstance(part, int | float))
        raw = getattr(operand, "original_bytes", None) or bytes(operand)
        return str(raw.decode("latin-1"))

    def before(operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        if operator == b"rg":
            colour[0] = tuple(round(float(value), 2) for value in operands)
        elif operator in (b"Tj", b"TJ"):
            found.setdefault(colour[0], []).append(text_of(operands[0]))

    for page in PdfReader(io.BytesIO(body)).pages[2:]:  # the section's page
        page.extract_text(visitor_operand_before=before)
    return found


def fills(body: bytes) -> set[tuple[float, ...]]:
    """Every fill colour the PDF sets (table shading among them)."""
    found: set[tuple[float, ...]] = set()

    def before(operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        if operator == b"rg":
            found.add(tuple(round(float(value), 2) for value in operands))

    for page in PdfReader(io.BytesIO(body)).pages:
        page.extract_text(visitor_operand_before=before)
    return found


def rgb(hex_colour: str) -> tuple[float, ...]:
    return tuple(round(int(hex_colour[i : i + 2], 16) / 255, 2) for i in (1, 3, 5))


def at(found: list[Drawn], text: str) -> Drawn:
    [piece] = [d for d in found if d.text == text]
    return piece


def test_a_schedule_of_activities_written_as_a_table_is_a_table_in_the_pdf() -> None:
    body = render_pdf(document(clean_blocks(SCHEDULE)))
    found = drawn(body)
    rows = [
        ["Visit", "Week", "Spirometry"],
        ["Screening", "-2", "yes"],
        ["Baseline", "0"],
        ["Week 4", "4", "<b>no</b>"],
    ]
    cells = [[next(d for d in found if d.text == t and d.page == 3) for t in row] for row in rows]
    for row in cells:  # a row's cells on one line, left to right
        assert len({cell.y for cell in row}) == 1
        assert [cell.x for cell in row] == sorted(cell.x for cell in row)
    for row in cells[1:]:  # in the header's columns, below it
        assert [cell.x for cell in row] == [cell.x for cell in cells[0]][: len(row)]
        assert row[0].y < cells[0][0].y
    assert {cell.font.split("+")[-1] for cell in cells[0]} == {"DejaVuSans-Bold"}
    assert cells[1][2].font.endswith("DejaVuSans-Oblique")  # *yes*
    assert rgb(HEADER_SHADE) in fills(body)
    # markup typed into a cell is text, not ReportLab's markup
    assert cells[3][2].font.endswith("DejaVuSans")


def test_bold_italic_and_sub_headings_in_the_pdf_and_sub_headings_stay_out_of_the_contents() -> (
    None
):
    body = render_pdf(document(clean_blocks(SCHEDULE)))
    found = drawn(body)
    fonts = {d.text: d.font.split("+")[-1] for d in found if d.page == 3}
    assert fonts["Treatment period"] == "DejaVuSans-Bold"
    assert fonts["Notes"] == "DejaVuSans-Bold"
    assert fonts["10 mg"] == "DejaVuSans-Bold"
    assert fonts["daily"] == "DejaVuSans-Oblique"
    assert fonts["food"] == "DejaVuSans-BoldOblique"
    assert at(found, "Treatment period").y > at(found, "Visit").y > at(found, "Notes").y
    contents = " ".join(d.text for d in found if d.page == 2)
    assert "1.3 Schedule of Activities" in contents
    assert "Treatment period" not in contents
    outline = PdfReader(io.BytesIO(body)).outline
    titles = []
    stack: list[Any] = list(outline)
    while stack:
        entry = stack.pop()
        if isinstance(entry, list):
            stack.extend(entry)
        else:
            titles.append(entry.title)
    assert "1.3 Schedule of Activities" in titles
    assert not {"Treatment period", "Notes"} & set(titles)


def test_a_long_table_repeats_its_shaded_header_on_every_page_it_runs_onto() -> None:
    rows = "\n".join(f"| Visit {n} | {n} | yes |" for n in range(1, 121))
    text = "| Visit | Week | Spirometry |\n| --- | --- | --- |\n" + rows
    found = drawn(render_pdf(document(clean_blocks(text))))
    pages_with_rows = {d.page for d in found if d.text.startswith("Visit ")}
    assert len(pages_with_rows) >= 3
    headers = [d for d in found if d.text == "Week"]
    assert {d.page for d in headers} == pages_with_rows
    for header in headers:  # above every row of its page
        assert all(
            d.y < header.y for d in found if d.page == header.page and d.text[:6] == "Visit "
        )


def test_a_tracked_table_in_the_pdf_marks_cells_word_by_word_and_shades_rows_added_or_removed() -> (
    None
):
    body = render_pdf(document(tracked_blocks(SCHEDULE, CHANGED), tracked=True))
    by_colour = coloured(body)
    inserted, deleted = by_colour[rgb(INSERTED_COLOUR)], by_colour[rgb(DELETED_COLOUR)]
    assert inserted == ["4", "Week 8", "8", "yes"]
    assert deleted == ["2", "Baseline", "0", "yes"]
    kept = " ".join(by_colour[(0.0, 0.0, 0.0)])
    for text in ("Screening", "Week 4", "Visit", "Treatment period", "10 mg"):
        assert text in kept
    shades = {rgb(shade) for shade in ROW_SHADES.values() if shade is not None}
    assert shades <= fills(body)


# -- the DOCX -----------------------------------------------------------------------------------


def opened(body: bytes) -> Any:
    return docx.Document(io.BytesIO(body))


def cell_texts(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_a_schedule_of_activities_written_as_a_table_is_a_word_table() -> None:
    opened_docx = opened(render_docx(document(clean_blocks(SCHEDULE))))
    [_, table] = opened_docx.tables  # the title page's fields, then the schedule
    assert cell_texts(table) == [
        ["Visit", "Week", "Spirometry"],
        ["Screening", "-2", "yes"],
        ["Baseline", "0", "yes"],
        ["Week 4", "4", "<b>no</b>"],
    ]
    assert table.style.name == "Table Grid"
    header = table.rows[0]._tr
    [repeat] = header.trPr.iter(qn("w:tblHeader"))
    assert repeat.get(qn("w:val")) == "true"
    assert [shd.get(qn("w:fill")) for shd in header.iter(qn("w:shd"))] == ["E4E8EE"] * 3
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert not any(row._tr.trPr is not None for row in table.rows[1:])
    [yes] = table.rows[1].cells[2].paragraphs[0].runs
    assert (yes.text, yes.italic, yes.bold) == ("yes", True, None)


def test_bold_italic_and_sub_headings_in_the_docx_and_sub_headings_stay_out_of_the_contents() -> (
    None
):
    opened_docx = opened(render_docx(document(clean_blocks(SCHEDULE))))
    paragraphs = {p.text: p for p in opened_docx.paragraphs}
    take = paragraphs["Take 10 mg daily with food."]
    assert [(r.text, bool(r.bold), bool(r.italic)) for r in take.runs] == [
        ("Take ", False, False),
        ("10 mg", True, False),
        (" ", False, False),
        ("daily", False, True),
        (" with ", False, False),
        ("food", True, True),
        (".", False, False),
    ]
    # 1.3 is a level-2 section: its sub-headings look like Heading 3 and Heading 4
    treatment, notes = paragraphs["Treatment period"], paragraphs["Notes"]
    assert (treatment.style.name, notes.style.name) == ("Subheading 3", "Subheading 4")
    for paragraph, base in ((treatment, "Heading 3"), (notes, "Heading 4")):
        assert paragraph.style.base_style.name == base
        [outline] = paragraph.style.element.pPr.iter(qn("w:outlineLvl"))
        assert outline.get(qn("w:val")) == "9"  # body text to the contents and navigation
    [toc] = [node.text for node in opened_docx.element.body.iter(qn("w:instrText"))]
    assert toc.strip().startswith('TOC \\o "1-3"')
    headings = [p.text for p in opened_docx.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["1.3 Schedule of Activities"]


def side(paragraph: Any, *, accepted: bool) -> str:
    keep, drop = (qn("w:ins"), qn("w:del")) if accepted else (qn("w:del"), qn("w:ins"))
    text = []
    for node in paragraph._p.iter(qn("w:t"), qn("w:delText")):
        ancestors = {a.tag for a in node.iterancestors()}
        if drop in ancestors or (node.tag == qn("w:delText") and keep not in ancestors):
            continue
        text.append(node.text or "")
    return "".join(text)


def test_a_tracked_docx_table_marks_rows_added_and_removed_and_changed_cells() -> None:
    opened_docx = opened(render_docx(document(tracked_blocks(SCHEDULE, CHANGED), tracked=True)))
    [_, table] = opened_docx.tables
    row_marks = []
    for row in table.rows:
        properties = row._tr.trPr
        marks = (
            [] if properties is None else [c.tag for c in properties if c.tag != qn("w:tblHeader")]
        )
        row_marks.append(marks)
        for mark in properties.iter(qn("w:ins"), qn("w:del")) if properties is not None else ():
            assert mark.get(qn("w:author")) == "Dr Ivy Chen"
    assert row_marks == [[], [], [qn("w:del")], [], [qn("w:ins")]]

    def read(accepted: bool) -> list[list[str]]:
        gone = qn("w:del") if accepted else qn("w:ins")
        return [
            [side(cell.paragraphs[0], accepted=accepted) for cell in row.cells]
            for row in table.rows
            if row._tr.trPr is None or row._tr.trPr.find(gone) is None
        ]

    assert read(accepted=True) == [
        ["Visit", "Week", "Spirometry"],
        ["Screening", "-4", "yes"],
        ["Week 4", "4", "<b>no</b>"],
        ["Week 8", "8", "yes"],
    ]
    assert read(accepted=False) == [
        ["Visit", "Week", "Spirometry"],
        ["Screening", "-2", "yes"],
        ["Baseline", "0", "yes"],
        ["Week 4", "4", "<b>no</b>"],
    ]
    week = table.rows[1].cells[1].paragraphs[0]._p
    assert ["".join(t.text for t in d.iter(qn("w:delText"))) for d in week.iter(qn("w:del"))] == [
        "2"
    ]
    assert ["".join(t.text for t in i.iter(qn("w:t"))) for i in week.iter(qn("w:ins"))] == ["4"]


def test_a_cell_longer_than_a_page_goes_on_over_the_next_pages() -> None:
    long_cell = " ".join(f"w{n}" for n in range(4000))
    text = f"| Visit | Notes |\n| --- | --- |\n| Screening | {long_cell} |"
    found = drawn(render_pdf(document(clean_blocks(text))))
    pages = {d.page for d in found if d.text.startswith("w")}
    assert len(pages) >= 2
    words = " ".join(d.text for d in found if d.text.startswith("w")).split()
    assert words[0] == "w0"
    assert words[-1] == "w3999"
