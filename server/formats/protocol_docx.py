"""A protocol document as DOCX (python-docx, MIT licence; revisions through its oxml layer).

The same layout as the PDF (:mod:`server.formats.protocol_pdf`): the title page, the
amendment details and overview of changes, a table of contents, then the sections with
Word's heading styles ("Heading 1" for a level-1 section, ...), their paragraphs (line
breaks kept), lists (Word's bulleted and numbered lists, each numbered list starting at
1), sub-headings and tables, bold and italic as written. A sub-heading takes the style
"Subheading N", which looks like "Heading N" one (level 1) or two (level 2) levels below
its section's but is body text to the table of contents and the navigation, which list
M11's sections. A table is a Word table ("Table Grid") over the text's width in equal
columns, its header row shaded, bold and repeated on each page. The header carries the
running head, the footer the copy and "Page N of M" (Word's PAGE and NUMPAGES fields).

The table of contents is Word's TOC field (levels 1 to 3, linked): it holds the sections'
titles as its current result, and the document asks Word to update its fields when it is
opened, which adds the page numbers.

A tracked copy carries real revisions: each insertion is a ``w:ins`` and each deletion a
``w:del`` (its text in ``w:delText``), both with the author who proposed the change and
the time it was recorded; a paragraph, list item or heading that was wholly inserted or
deleted has its paragraph mark marked too, and a table row added or removed is marked as
an inserted or deleted row, so accepting or rejecting every change in Word gives exactly
the new or the old text.

The WordprocessingML python-docx has no API for (revision marks, fields, list numbering,
table rows) is in :mod:`server.formats.docx_markup`.
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from domain.protocol_diff import Mark
from domain.timestamps import reading_text
from server.formats.content import ListKind
from server.formats.docx_markup import (
    RevisionMarks,
    break_run,
    field_char,
    field_instruction,
    heading_out_of_contents,
    number_with,
    repeat_header,
    restarted_numbering,
    set_widths,
    shade,
    simple_field,
    text_run,
    update_fields_on_open,
    xml_text,
)
from server.formats.marked_content import (
    MarkedHeading,
    MarkedLine,
    MarkedList,
    MarkedParagraph,
    MarkedTable,
)
from server.formats.protocol_document import (
    DocumentSection,
    ProtocolDocument,
    Revision,
)

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TOC_DEPTH = 3
TEXT_WIDTH_MM = 166
"""The page's width between its margins (A4, 22 mm each side)."""
HEADER_SHADE = "E4E8EE"
"""A table's header row."""


class _Writer:
    def __init__(self, document: ProtocolDocument) -> None:
        self.source = document
        self.docx: DocxDocument = Document()
        fallback = Revision(author="Concord", at=document.generated_at)
        self.revisions = RevisionMarks(fallback=fallback)
        self.revision: Revision | None = None
        """Who made the changes of the section being written."""

    # -- marked text ----------------------------------------------------------------------

    def _append(self, paragraph: Paragraph, element: BaseOxmlElement, mark: Mark) -> None:
        self.revisions.append(paragraph, element, mark, self.revision)

    def line(self, paragraph: Paragraph, marked: MarkedLine, *, bold: bool = False) -> None:
        """The line's runs; ``bold``: all of them (a table's header)."""
        for run in marked.runs:
            deleted = run.mark is Mark.DELETED
            element = text_run(run.text, deleted=deleted, bold=bold or run.bold, italic=run.italic)
            self._append(paragraph, element, run.mark)

    def lines(self, paragraph: Paragraph, lines: tuple[MarkedLine, ...]) -> None:
        breaks = iter(_break_marks(lines))
        for index, marked in enumerate(lines):
            if index:
                self._append(paragraph, break_run(), next(breaks))
            self.line(paragraph, marked)

    def paragraph_mark(self, paragraph: Paragraph, mark: Mark) -> None:
        """Mark the paragraph itself inserted or deleted (its pilcrow, in Word's terms)."""
        self.revisions.mark_paragraph(paragraph, mark, self.revision)

    # -- the document ---------------------------------------------------------------------

    def write(self) -> bytes:
        self._page()
        self._styles()
        self._title_page()
        if self.source.amendment is not None:
            self._amendment()
        if self.source.tracked_against is not None:
            self._legend()
        self._contents()
        for section in self.source.sections:
            self._section(section)
        self._properties()
        out = io.BytesIO()
        self.docx.save(out)
        return out.getvalue()

    def _page(self) -> None:
        page = self.docx.sections[0]
        page.page_width, page.page_height = Mm(210), Mm(297)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(page, side, Mm(22))
        header = page.header.paragraphs[0]
        header.text = xml_text(self.source.running_head)
        header.style = self.docx.styles["Header"]
        footer = page.footer.paragraphs[0]
        footer.add_run(xml_text(f"{self.source.copy_label} · Page "))
        simple_field(footer, "PAGE", "1")
        footer.add_run(" of ")
        simple_field(footer, "NUMPAGES", "1")
        # Word updates the table of contents (and its page numbers) when the file opens.
        update_fields_on_open(self.docx)

    def _styles(self) -> None:
        styles = self.docx.styles
        normal = styles["Normal"]
        normal.font.size = Pt(10.5)
        front = styles.add_style("Front Heading", WD_STYLE_TYPE.PARAGRAPH)
        front.base_style = styles["Normal"]
        front.font.bold, front.font.size = True, Pt(15)
        front.paragraph_format.space_before = Pt(6)
        front.paragraph_format.space_after = Pt(8)
        front.paragraph_format.keep_with_next = True
        sub = styles.add_style("Front Subheading", WD_STYLE_TYPE.PARAGRAPH)
        sub.base_style = front
        sub.font.size = Pt(12)
        note = styles.add_style("Change Note", WD_STYLE_TYPE.PARAGRAPH)
        note.base_style = styles["Normal"]
        note.font.italic, note.font.size = True, Pt(9)
        note.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
        for level in range(1, TOC_DEPTH + 1):
            toc = styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
            toc.base_style = styles["Normal"]
            toc.paragraph_format.left_indent = Mm(5 * (level - 1))
            toc.paragraph_format.space_after = Pt(2)

    def _fields_table(self, rows: tuple[tuple[str, str], ...], widths: tuple[float, float]) -> None:
        table = self.docx.add_table(rows=0, cols=2)
        table.style = self.docx.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(xml_text(label)).bold = True
            cells[1].paragraphs[0].add_run(xml_text(value))
        set_widths(table, widths)

    def _title_page(self) -> None:
        self.docx.add_paragraph(xml_text(self.source.title), style="Title")
        self.docx.add_paragraph(xml_text(self.source.copy_label), style="Subtitle")
        self._fields_table(self.source.title_page, (55, 111))
        self._page_break()

    def _amendment(self) -> None:
        amendment = self.source.amendment
        assert amendment is not None
        self.docx.add_paragraph("Protocol Amendment", style="Front Heading")
        self.docx.add_paragraph("Amendment Details", style="Front Subheading")
        self._fields_table(amendment.details, (70, 96))
        self.docx.add_paragraph(
            "Overview of Changes in the Current Amendment", style="Front Subheading"
        )
        table = self.docx.add_table(rows=1, cols=3)
        table.style = self.docx.styles["Table Grid"]
        header = ("Description of Change", "Brief Rationale", "Section # and Name")
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.paragraphs[0].add_run(text).bold = True
        repeat_header(table)
        for row in amendment.changes:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(xml_text(row.description))
            cells[1].paragraphs[0].add_run(xml_text(row.rationale))
            cells[2].paragraphs[0].add_run(xml_text("\n".join(row.sections)))
        if not amendment.changes:
            table.add_row().cells[0].paragraphs[0].add_run("No changes proposed.")
        set_widths(table, (62, 62, 42))
        self._page_break()

    def _legend(self) -> None:
        self.docx.add_paragraph("How to read this copy", style="Front Subheading")
        self.docx.add_paragraph(
            f"Changes against version {self.source.tracked_against} are Word revisions"
            " (Review, Track Changes): insertions and deletions, each with who proposed it"
            " and when (UTC). Each changed section also says so under its heading; sections"
            " without a note are unchanged. Accepting every change gives the amended text,"
            " rejecting every change the text of version"
            f" {self.source.tracked_against} (the notes stay either way)."
        )

    def _contents(self) -> None:
        self.docx.add_paragraph("Table of Contents", style="Front Heading")
        entries = [s for s in self.source.sections if s.level <= TOC_DEPTH]
        first = self.docx.add_paragraph(style=f"toc {entries[0].level}" if entries else None)
        field_char(first, "begin")
        field_instruction(first, f' TOC \\o "1-{TOC_DEPTH}" \\h \\z \\u ')
        field_char(first, "separate")
        last = first
        for index, section in enumerate(entries):
            paragraph = (
                first if index == 0 else self.docx.add_paragraph(style=f"toc {section.level}")
            )
            paragraph.add_run(xml_text(section.title))
            last = paragraph
        field_char(last, "end")
        self._page_break()

    def _section(self, section: DocumentSection) -> None:
        self.revision = section.revision
        heading = self.docx.add_heading(level=min(section.level, 9))
        self.line(heading, section.numbered_heading)
        self.paragraph_mark(heading, section.whole)
        if section.change_note is not None:
            self.docx.add_paragraph(xml_text(section.change_note), style="Change Note")
        for block in section.blocks:
            match block:
                case MarkedParagraph(lines=lines):
                    paragraph = self.docx.add_paragraph()
                    self.lines(paragraph, lines)
                    self.paragraph_mark(paragraph, _whole(lines))
                case MarkedList():
                    self._list(block)
                case MarkedHeading(level=level, text=text):
                    depth = min(section.level + level, 9)
                    style = heading_out_of_contents(self.docx, depth)
                    paragraph = self.docx.add_paragraph(style=style)
                    self.line(paragraph, text)
                    self.paragraph_mark(paragraph, text.whole)
                case MarkedTable():
                    self._table(block)
        self.revision = None

    def _table(self, block: MarkedTable) -> None:
        columns = len(block.header.cells)
        table = self.docx.add_table(rows=0, cols=columns)
        table.style = self.docx.styles["Table Grid"]
        for index, row in enumerate((block.header, *block.rows)):
            cells = table.add_row().cells
            for cell, text in zip(cells, row.cells, strict=True):
                self.line(cell.paragraphs[0], text, bold=index == 0)
                if index == 0:
                    shade(cell, HEADER_SHADE)
            if index == 0:
                repeat_header(table)
            self.revisions.mark_row(table.rows[index], row.mark, self.revision)
        set_widths(table, (TEXT_WIDTH_MM / columns,) * columns)

    def _list(self, block: MarkedList) -> None:
        numbered_list = block.kind is ListKind.NUMBERED
        style = "List Number" if numbered_list else "List Bullet"
        restart = restarted_numbering(self.docx, style) if numbered_list else None
        for item in block.items:
            paragraph = self.docx.add_paragraph(style=style)
            if restart is not None:
                number_with(paragraph, restart)
            self.line(paragraph, item)
            self.paragraph_mark(paragraph, item.whole)

    def _page_break(self) -> None:
        self.docx.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def _properties(self) -> None:
        properties = self.docx.core_properties
        properties.title = xml_text(self.source.title)[:255]
        properties.subject = xml_text(self.source.running_head)[:255]
        properties.author = xml_text(self.source.sponsor)[:255]
        properties.last_modified_by = "Concord"
        properties.comments = f"Generated by Concord at {reading_text(self.source.generated_at)}"
        properties.created = self.source.generated_at
        properties.modified = self.source.generated_at
        properties.revision = 1


def _whole(lines: tuple[MarkedLine, ...]) -> Mark:
    marks = {marked.whole for marked in lines}
    return marks.pop() if len(marks) == 1 else Mark.KEPT


def _break_marks(lines: tuple[MarkedLine, ...]) -> list[Mark]:
    """The marks of the line breaks between ``lines``: a break is in the old text when
    the old text has a line before it and the line after it, in the new text likewise;
    so rejecting or accepting every revision leaves exactly the old or the new breaks."""
    marks: list[Mark] = []
    old_before = new_before = False
    for index, marked in enumerate(lines):
        in_old, in_new = marked.whole is not Mark.INSERTED, marked.whole is not Mark.DELETED
        if index:
            old_break, new_break = old_before and in_old, new_before and in_new
            # (a break on neither side cannot occur: marked_content joins such lines)
            marks.append(
                Mark.DELETED
                if old_break and not new_break
                else Mark.INSERTED
                if new_break and not old_break
                else Mark.KEPT
            )
        old_before, new_before = old_before or in_old, new_before or in_new
    return marks


def render_docx(document: ProtocolDocument) -> bytes:
    """The document as DOCX bytes (CPU work: call it off the event loop)."""
    return _Writer(document).write()
