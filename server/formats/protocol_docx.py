"""A protocol document as DOCX (python-docx, MIT licence; revisions through its oxml layer).

The same layout as the PDF (:mod:`server.formats.protocol_pdf`): the title page, the
amendment details and overview of changes, a table of contents, then the sections with
Word's heading styles ("Heading 1" for a level-1 section, ...), their paragraphs (line
breaks kept) and lists (Word's bulleted and numbered lists, each numbered list starting
at 1). The header carries the running head, the footer the copy and "Page N of M" (Word's
PAGE and NUMPAGES fields).

The table of contents is Word's TOC field (levels 1 to 3, linked): it holds the sections'
titles as its current result, and the document asks Word to update its fields when it is
opened, which adds the page numbers.

A tracked copy carries real revisions: each insertion is a ``w:ins`` and each deletion a
``w:del`` (its text in ``w:delText``), both with the author who proposed the change and
the time it was recorded; a paragraph, list item or heading that was wholly inserted or
deleted has its paragraph mark marked too, so accepting or rejecting every change in Word
gives exactly the new or the old text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from domain.protocol_diff import Mark, SectionChange
from server.formats.content import ListKind
from server.formats.marked_content import MarkedLine, MarkedList, MarkedParagraph
from server.formats.protocol_document import (
    DocumentSection,
    ProtocolDocument,
    Revision,
    utc,
)

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TOC_DEPTH = 3
_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
    "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary",
    "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
    "w14:docId", "w14:defaultImageDpi",
)  # fmt: skip
"""What follows ``w:updateFields`` in the settings (CT_Settings is a sequence: Word refuses
a file whose settings are out of order)."""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """What an XML document can hold of ``text``."""
    return _NOT_XML.sub("", text)


@dataclass
class _Revisions:
    """Revision marks: one id sequence per document, each with its author and time."""

    fallback: Revision
    ids: Iterator[int] = field(default_factory=lambda: count(1))

    def element(self, mark: Mark, revision: Revision | None) -> BaseOxmlElement:
        by = revision or self.fallback
        element = OxmlElement("w:ins" if mark is Mark.INSERTED else "w:del")
        element.set(qn("w:id"), str(next(self.ids)))
        element.set(qn("w:author"), _clean(by.author))
        element.set(qn("w:date"), utc(by.at))
        return element


def _text_run(text: str, *, deleted: bool = False) -> BaseOxmlElement:
    run = OxmlElement("w:r")
    piece = OxmlElement("w:delText" if deleted else "w:t")
    piece.set(qn("xml:space"), "preserve")
    piece.text = _clean(text)
    run.append(piece)
    return run


def _break_run() -> BaseOxmlElement:
    run = OxmlElement("w:r")
    run.append(OxmlElement("w:br"))
    return run


class _Writer:
    def __init__(self, document: ProtocolDocument) -> None:
        self.source = document
        self.docx: DocxDocument = Document()
        fallback = Revision(author="Concord", at=document.generated_at)
        self.revisions = _Revisions(fallback=fallback)
        self.revision: Revision | None = None
        """Who made the changes of the section being written."""

    # -- marked text ----------------------------------------------------------------------

    def _append(self, paragraph: Paragraph, element: BaseOxmlElement, mark: Mark) -> None:
        if mark is Mark.KEPT:
            paragraph._p.append(element)
            return
        wrapper = self.revisions.element(mark, self.revision)
        wrapper.append(element)
        paragraph._p.append(wrapper)

    def line(self, paragraph: Paragraph, marked: MarkedLine) -> None:
        for run in marked.runs:
            deleted = run.mark is Mark.DELETED
            self._append(paragraph, _text_run(run.text, deleted=deleted), run.mark)

    def lines(self, paragraph: Paragraph, lines: tuple[MarkedLine, ...]) -> None:
        breaks = iter(_break_marks(lines))
        for index, marked in enumerate(lines):
            if index:
                self._append(paragraph, _break_run(), next(breaks))
            self.line(paragraph, marked)

    def paragraph_mark(self, paragraph: Paragraph, mark: Mark) -> None:
        """Mark the paragraph itself inserted or deleted (its pilcrow, in Word's terms)."""
        if mark is Mark.KEPT:
            return
        properties = paragraph._p.get_or_add_pPr()
        run_properties = OxmlElement("w:rPr")
        run_properties.append(self.revisions.element(mark, self.revision))
        properties.append(run_properties)

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
        header.text = _clean(self.source.running_head)
        header.style = self.docx.styles["Header"]
        footer = page.footer.paragraphs[0]
        footer.add_run(_clean(f"{self.source.copy_label} · Page "))
        _field(footer, "PAGE", "1")
        footer.add_run(" of ")
        _field(footer, "NUMPAGES", "1")
        # Word updates the table of contents (and its page numbers) when the file opens.
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        self.docx.settings.element.insert_element_before(update, *_AFTER_UPDATE_FIELDS)

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
            cells[0].paragraphs[0].add_run(_clean(label)).bold = True
            cells[1].paragraphs[0].add_run(_clean(value))
        _widths(table, widths)

    def _title_page(self) -> None:
        self.docx.add_paragraph(_clean(self.source.title), style="Title")
        self.docx.add_paragraph(_clean(self.source.copy_label), style="Subtitle")
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
        _repeat_header(table)
        for row in amendment.changes:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(_clean(row.description))
            cells[1].paragraphs[0].add_run(_clean(row.rationale))
            cells[2].paragraphs[0].add_run(_clean("\n".join(row.sections)))
        if not amendment.changes:
            table.add_row().cells[0].paragraphs[0].add_run("No changes proposed.")
        _widths(table, (62, 62, 42))
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
        _field_char(first, "begin")
        instruction = OxmlElement("w:r")
        code = OxmlElement("w:instrText")
        code.set(qn("xml:space"), "preserve")
        code.text = f' TOC \\o "1-{TOC_DEPTH}" \\h \\z \\u '
        instruction.append(code)
        first._p.append(instruction)
        _field_char(first, "separate")
        last = first
        for index, section in enumerate(entries):
            paragraph = (
                first if index == 0 else self.docx.add_paragraph(style=f"toc {section.level}")
            )
            paragraph.add_run(_clean(section.title))
            last = paragraph
        _field_char(last, "end")
        self._page_break()

    def _section(self, section: DocumentSection) -> None:
        self.revision = section.revision
        heading = self.docx.add_heading(level=min(section.level, 9))
        self.line(heading, section.numbered_heading)
        self.paragraph_mark(heading, section.whole)
        if section.change is not None:
            what = {
                SectionChange.ADDED: "Section added",
                SectionChange.REMOVED: "Section removed",
                SectionChange.CHANGED: "Section changed",
            }[section.change]
            if section.revision is not None:
                what += f": proposed by {section.revision.author}, {utc(section.revision.at)}"
            self.docx.add_paragraph(_clean(what), style="Change Note")
        for block in section.blocks:
            match block:
                case MarkedParagraph(lines=lines):
                    paragraph = self.docx.add_paragraph()
                    self.lines(paragraph, lines)
                    self.paragraph_mark(paragraph, _whole(lines))
                case MarkedList():
                    self._list(block)
        self.revision = None

    def _list(self, block: MarkedList) -> None:
        numbered_list = block.kind is ListKind.NUMBERED
        style = "List Number" if numbered_list else "List Bullet"
        restart = self._new_numbering(style) if numbered_list else None
        for item in block.items:
            paragraph = self.docx.add_paragraph(style=style)
            if restart is not None:
                _number(paragraph, restart)
            self.line(paragraph, item)
            self.paragraph_mark(paragraph, item.whole)

    def _new_numbering(self, style: str) -> int:
        """A numbering instance of the style's list that starts again at 1."""
        numbering = self.docx.part.numbering_part.element
        style_properties = self.docx.styles[style].element.pPr
        assert style_properties is not None
        assert style_properties.numPr is not None
        style_num = style_properties.numPr.numId.val
        abstract = numbering.num_having_numId(style_num).abstractNumId.val
        num = numbering.add_num(abstract)
        override = num.add_lvlOverride(ilvl=0)
        override.add_startOverride(1)
        return int(num.numId)

    def _page_break(self) -> None:
        self.docx.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def _properties(self) -> None:
        properties = self.docx.core_properties
        properties.title = _clean(self.source.title)[:255]
        properties.subject = _clean(self.source.running_head)[:255]
        properties.author = _clean(self.source.sponsor)[:255]
        properties.last_modified_by = "Concord"
        properties.comments = f"Generated by Concord at {utc(self.source.generated_at)}"
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


def _field(paragraph: Paragraph, code: str, shown: str) -> None:
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), f" {code} ")
    simple.append(_text_run(shown))
    paragraph._p.append(simple)


def _field_char(paragraph: Paragraph, kind: str) -> None:
    run = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        char.set(qn("w:dirty"), "true")
    run.append(char)
    paragraph._p.append(run)


def _number(paragraph: Paragraph, num_id: int) -> None:
    properties = paragraph._p.get_or_add_pPr()
    numbering = properties.get_or_add_numPr()
    numbering.get_or_add_ilvl().val = 0
    numbering.get_or_add_numId().val = num_id


def _repeat_header(table: Table) -> None:
    properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _widths(table: Table, widths: tuple[float, ...]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = Mm(width)


def render_docx(document: ProtocolDocument) -> bytes:
    """The document as DOCX bytes (CPU work: call it off the event loop)."""
    return _Writer(document).write()
