"""A protocol document as PDF (ReportLab's page layout engine, BSD licence).

A4, laid out as M11 asks: the title page, the amendment details and overview of changes
when there is an amendment, the table of contents (sections to level 3, with their pages
and links), then every section numbered in M11 order with its paragraphs, lists,
sub-headings and tables, bold and italic as written. A sub-heading is set like the section
heading one (level 1) or two (level 2) levels below its section's (at most level 4's), and
stays out of the table of contents and the outline, which list M11's sections. A table
spans the text's width in equal columns, its header row shaded and repeated on each page
it runs onto. Each page carries the running head (the trial, the version, the copy) and
"Page N of M"; the PDF's outline (bookmarks) follows the sections. In a tracked copy
inserted text is underlined in blue and deleted text struck through in red, and a table
row added or removed is shaded blue or red as well, as the legend before the table of
contents says; each changed section names who proposed the change and when (UTC).

Text is set in DejaVu Sans when the system has it (Debian's fonts-dejavu), so any
language's letters show; otherwise in Helvetica, which shows Latin-1 only
(``server/pdf_fonts.py``, shared with the audit report).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, PropertySet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from domain.protocol_diff import Mark
from server.formats.content import ListKind
from server.formats.marked_content import (
    MarkedHeading,
    MarkedLine,
    MarkedList,
    MarkedParagraph,
    MarkedRow,
    MarkedRun,
    MarkedTable,
)
from server.formats.protocol_document import (
    DocumentSection,
    ProtocolDocument,
)
from server.pdf_fonts import BUILDING as _BUILDING
from server.pdf_fonts import NOT_XML as _NOT_XML
from server.pdf_fonts import face as _face
from server.pdf_fonts import markup as _text

MEDIA_TYPE = "application/pdf"

INSERTED_COLOUR = "#1a4f9c"
"""Blue, 7.9:1 on white."""
DELETED_COLOUR = "#a4262c"
"""Red, 7.3:1 on white."""
ROW_SHADES = {Mark.INSERTED: "#e3ecf9", Mark.DELETED: "#f8e4e5", Mark.KEPT: None}
"""The shade of a table row added (blue) or removed (red) in a tracked copy."""
HEADER_SHADE = "#e4e8ee"
"""A table's header row."""
TOC_DEPTH = 3
"""Sections down to this level are listed in the table of contents."""

_MARGIN = 20 * mm
_PAGE_WIDTH, _PAGE_HEIGHT = A4


def _run(run: MarkedRun) -> str:
    text = _text(run.text)
    if run.italic:
        text = f"<i>{text}</i>"
    if run.bold:
        text = f"<b>{text}</b>"
    if run.mark is Mark.INSERTED:
        return f'<font color="{INSERTED_COLOUR}"><u>{text}</u></font>'
    if run.mark is Mark.DELETED:
        return f'<font color="{DELETED_COLOUR}"><strike>{text}</strike></font>'
    return text


def _line(marked: MarkedLine) -> str:
    return "".join(_run(run) for run in marked.runs)


class _Styles:
    def __init__(self) -> None:
        body, bold, italic = _face(), _face(bold=True), _face(italic=True)
        self.body = ParagraphStyle("body", fontName=body, fontSize=10, leading=13.5, spaceAfter=5)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8.5, leading=11)
        self.note = ParagraphStyle(
            "note", parent=self.small, fontName=italic, textColor=colors.HexColor("#444444")
        )
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=9, leading=12, spaceAfter=0)
        self.cell_label = ParagraphStyle("cell-label", parent=self.cell, fontName=bold)
        self.narrow_cell = ParagraphStyle(
            "narrow-cell", parent=self.cell, fontSize=7.5, leading=9.5
        )
        self.narrow_label = ParagraphStyle("narrow-label", parent=self.narrow_cell, fontName=bold)
        self.title = ParagraphStyle(
            "title", parent=self.body, fontName=bold, fontSize=20, leading=25, alignment=TA_CENTER
        )
        self.subtitle = ParagraphStyle(
            "subtitle", parent=self.body, fontSize=12, leading=16, alignment=TA_CENTER
        )
        self.front = ParagraphStyle(
            "front", parent=self.body, fontName=bold, fontSize=14, leading=18, spaceBefore=4
        )
        self.headings = [
            ParagraphStyle(
                f"h{level}",
                parent=self.body,
                fontName=bold,
                fontSize=size,
                leading=size * 1.3,
                spaceBefore=space,
                spaceAfter=4,
                keepWithNext=True,
            )
            for level, size, space in ((1, 15, 12), (2, 12.5, 9), (3, 11, 7), (4, 10, 6))
        ]
        self.empty_headings = [
            ParagraphStyle(f"{style.name}-empty", parent=style, keepWithNext=False)
            for style in self.headings
        ]
        self.items = {
            mark: ParagraphStyle(
                f"item-{mark.value}",
                parent=self.body,
                leftIndent=20,
                bulletIndent=6,
                spaceAfter=2,
                bulletFontName=body,
                bulletColor=colors.HexColor(colour),
            )
            for mark, colour in (
                (Mark.KEPT, "#000000"),
                (Mark.INSERTED, INSERTED_COLOUR),
                (Mark.DELETED, DELETED_COLOUR),
            )
        }
        self.toc: list[PropertySet] = [
            ParagraphStyle(
                f"toc{level}",
                parent=self.body,
                fontSize=10 if level == 0 else 9.5,
                leading=13,
                leftIndent=12 * level,
                firstLineIndent=0,
                spaceAfter=1,
                fontName=bold if level == 0 else body,
            )
            for level in range(TOC_DEPTH)
        ]


class _Heading(Paragraph):
    """A section's heading: it goes into the table of contents and the outline."""

    def __init__(
        self,
        text: str,
        style: ParagraphStyle,
        *,
        key: str,
        entry: str,
        level: int,
        listed: bool = True,
    ) -> None:
        super().__init__(text, style)
        self.key, self.entry, self.level, self.listed = key, entry, level, listed


class _Template(BaseDocTemplate):
    def __init__(self, out: io.BytesIO, document: ProtocolDocument) -> None:
        super().__init__(
            out,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN + 4 * mm,
            bottomMargin=_MARGIN,
            title=document.title,
            author=document.sponsor,
            subject=f"{document.running_head}",
            creator="Concord",
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self._outline_level = -1

    def afterFlowable(self, flowable: Flowable) -> None:
        if not isinstance(flowable, _Heading):
            return
        # The outline may go one level deeper at a time, never skip one.
        level = min(flowable.level, self._outline_level + 1)
        self._outline_level = level
        self.canv.bookmarkPage(flowable.key)
        self.canv.addOutlineEntry(flowable.entry, flowable.key, level=level, closed=level > 0)
        if flowable.listed and flowable.level < TOC_DEPTH:
            self.notify(
                "TOCEntry", (flowable.level, _text(flowable.entry), self.page, flowable.key)
            )


def _canvas_for(document: ProtocolDocument, styles: _Styles) -> Any:
    """A canvas that holds its pages back until the end, to print "Page N of M"."""

    class _Numbered(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # the next page, as Canvas does

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            self.saveState()
            self.setFont(_face(), 8)
            self.setFillColor(colors.HexColor("#333333"))
            head = _NOT_XML.sub("", document.running_head)
            self.drawString(_MARGIN, _PAGE_HEIGHT - _MARGIN + 2 * mm, head)
            self.setStrokeColor(colors.HexColor("#999999"))
            self.setLineWidth(0.4)
            y = _PAGE_HEIGHT - _MARGIN + 0.5 * mm
            self.line(_MARGIN, y, _PAGE_WIDTH - _MARGIN, y)
            self.drawRightString(
                _PAGE_WIDTH - _MARGIN, _MARGIN - 8 * mm, f"Page {self.getPageNumber()} of {total}"
            )
            self.drawString(_MARGIN, _MARGIN - 8 * mm, document.copy_label)
            self.restoreState()

    return _Numbered


def _table(
    rows: list[list[Any]],
    widths: list[float],
    *,
    header: bool,
    styles: _Styles,
    shades: tuple[str | None, ...] = (),
) -> Table:
    # splitInRow: a row taller than a page (a long cell) goes on over the next pages
    table = Table(
        rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1, hAlign="LEFT"
    )
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEADER_SHADE)))
    for index, shade in enumerate(shades):
        if shade is not None:
            commands.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor(shade)))
    table.setStyle(TableStyle(commands))
    return table


def _field_rows(fields: tuple[tuple[str, str], ...], styles: _Styles) -> list[list[Any]]:
    return [
        [Paragraph(_text(label), styles.cell_label), Paragraph(_text(value), styles.cell)]
        for label, value in fields
    ]


def _front_matter(document: ProtocolDocument, styles: _Styles) -> Iterator[Flowable]:
    width = _PAGE_WIDTH - 2 * _MARGIN
    yield Spacer(1, 30 * mm)
    yield Paragraph(_text(document.title), styles.title)
    yield Spacer(1, 4 * mm)
    yield Paragraph(_text(document.copy_label), styles.subtitle)
    yield Spacer(1, 12 * mm)
    if rows := _field_rows(document.title_page, styles):
        yield _table(rows, [0.34 * width, 0.66 * width], header=False, styles=styles)
    yield PageBreak()
    if (amendment := document.amendment) is not None:
        yield _Heading(
            "Protocol Amendment",
            styles.front,
            key="amendment",
            entry="Protocol Amendment",
            level=0,
            listed=False,
        )
        yield Paragraph("Amendment Details", styles.headings[2])
        if rows := _field_rows(amendment.details, styles):
            yield _table(rows, [0.42 * width, 0.58 * width], header=False, styles=styles)
        yield Paragraph("Overview of Changes in the Current Amendment", styles.headings[2])
        header = ["Description of Change", "Brief Rationale", "Section # and Name"]
        rows = [[Paragraph(_text(text), styles.cell_label) for text in header]]
        rows += [
            [
                Paragraph(_text(row.description), styles.cell),
                Paragraph(_text(row.rationale), styles.cell),
                Paragraph("<br/>".join(_text(s) for s in row.sections), styles.cell),
            ]
            for row in amendment.changes
        ]
        if not amendment.changes:
            rows.append([Paragraph("No changes proposed.", styles.cell), "", ""])
        yield _table(rows, [0.36 * width, 0.36 * width, 0.28 * width], header=True, styles=styles)
        yield PageBreak()
    if document.tracked_against is not None:
        yield Paragraph("How to read this copy", styles.headings[2])
        yield Paragraph(
            f"Changes against version {document.tracked_against} are marked: "
            f'<font color="{INSERTED_COLOUR}"><u>inserted text is underlined in blue</u></font>;'
            f' <font color="{DELETED_COLOUR}"><strike>deleted text is struck through in red'
            "</strike></font>. A table row added or removed is shaded blue or red as well."
            " Each changed section says who proposed the change and when (UTC). Sections"
            " without a note are unchanged.",
            styles.body,
        )
        yield Spacer(1, 4 * mm)
    yield _Heading(
        "Table of Contents", styles.front, key="contents", entry="Contents", level=0, listed=False
    )
    toc = TableOfContents(levelStyles=styles.toc, dotsMinLevel=0, rightColumnWidth=14 * mm)
    yield toc
    yield PageBreak()


def _section(section: DocumentSection, styles: _Styles) -> Iterator[Flowable]:
    level = section.level
    style = styles.headings[min(level, len(styles.headings)) - 1]
    if not section.blocks and section.change is None:
        # A chain of empty sections kept with the next would move to the next page whole.
        style = styles.empty_headings[min(level, len(styles.headings)) - 1]
    heading = _line(section.numbered_heading)
    yield _Heading(heading, style, key=f"s-{section.number}", entry=section.title, level=level - 1)
    if section.change_note is not None:
        yield Paragraph(_text(section.change_note), styles.note)
    for block in section.blocks:
        match block:
            case MarkedParagraph(lines=lines):
                yield Paragraph("<br/>".join(_line(marked) for marked in lines), styles.body)
            case MarkedList():
                yield from _items(block, styles)
            case MarkedHeading(level=sub_level, text=text):
                sub_style = styles.headings[min(level + sub_level, len(styles.headings)) - 1]
                yield Paragraph(_line(text), sub_style)
            case MarkedTable():
                yield _content_table(block, styles)


def _content_table(block: MarkedTable, styles: _Styles) -> Table:
    """A table of the section's text: equal columns over the text's width, the header row
    shaded and repeated; narrower type from seven columns on (a schedule of activities)."""
    columns = len(block.header.cells)
    cell, label = (
        (styles.cell, styles.cell_label)
        if columns < 7
        else (styles.narrow_cell, styles.narrow_label)
    )

    def row(marked: MarkedRow, style: ParagraphStyle) -> list[Any]:
        return [Paragraph(_line(text), style) for text in marked.cells]

    width = (_PAGE_WIDTH - 2 * _MARGIN) / columns
    rows = [row(block.header, label), *(row(body, cell) for body in block.rows)]
    shades = tuple(ROW_SHADES[r.mark] for r in (block.header, *block.rows))
    return _table(rows, [width] * columns, header=True, styles=styles, shades=shades)


def _items(block: MarkedList, styles: _Styles) -> Iterator[Flowable]:
    old = new = 0
    for item in block.items:
        whole = item.whole
        old += whole is not Mark.INSERTED
        new += whole is not Mark.DELETED
        if block.kind is ListKind.NUMBERED:
            marker = f"{old if whole is Mark.DELETED else new}."
        else:
            marker = "\u2022"
        yield Paragraph(_line(item), styles.items[whole], bulletText=marker)


def render_pdf(document: ProtocolDocument) -> bytes:
    """The document as PDF bytes (CPU work: call it off the event loop)."""
    with _BUILDING:
        styles = _Styles()
        story = list(_front_matter(document, styles))
        for section in document.sections:
            story += _section(section, styles)
        out = io.BytesIO()
        template = _Template(out, document)
        template.multiBuild(story, canvasmaker=_canvas_for(document, styles))
        return out.getvalue()
