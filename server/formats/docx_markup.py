"""The WordprocessingML a protocol's DOCX needs that python-docx has no API for.

Built on python-docx's ``oxml`` layer: text runs that hold only what XML can
(:func:`xml_text`), bold and italic, revision marks (``w:ins`` and ``w:del`` with their
author and time, on runs, paragraph marks and table rows: :class:`RevisionMarks`), fields
(simple ones such as PAGE, and the begin, separate and end characters of a complex one
such as TOC), Word asked to update the fields when the file opens, a numbered list that
starts again at 1, a heading style kept out of the table of contents, a table's header row
repeated on each page, shaded cells, and column widths. :mod:`server.formats.protocol_docx`
lays the document out with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count

from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from domain.protocol_diff import Mark
from server.formats.protocol_document import Revision, utc

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


def xml_text(text: str) -> str:
    """What an XML document can hold of ``text``."""
    return _NOT_XML.sub("", text)


@dataclass
class RevisionMarks:
    """Revision marks: one id sequence per document, each with its author and time."""

    fallback: Revision
    ids: Iterator[int] = field(default_factory=lambda: count(1))

    def element(self, mark: Mark, revision: Revision | None) -> BaseOxmlElement:
        by = revision or self.fallback
        element = OxmlElement("w:ins" if mark is Mark.INSERTED else "w:del")
        element.set(qn("w:id"), str(next(self.ids)))
        element.set(qn("w:author"), xml_text(by.author))
        element.set(qn("w:date"), utc(by.at))
        return element

    def append(
        self, paragraph: Paragraph, element: BaseOxmlElement, mark: Mark, by: Revision | None
    ) -> None:
        """``element`` at the paragraph's end: as it is if kept, else inserted or deleted."""
        if mark is Mark.KEPT:
            paragraph._p.append(element)
            return
        wrapper = self.element(mark, by)
        wrapper.append(element)
        paragraph._p.append(wrapper)

    def mark_paragraph(self, paragraph: Paragraph, mark: Mark, by: Revision | None) -> None:
        """The paragraph itself (its mark, the pilcrow) inserted or deleted, unless kept."""
        if mark is Mark.KEPT:
            return
        properties = paragraph._p.get_or_add_pPr()
        run_properties = OxmlElement("w:rPr")
        run_properties.append(self.element(mark, by))
        properties.append(run_properties)

    def mark_row(self, row: _Row, mark: Mark, by: Revision | None) -> None:
        """The table row itself inserted or deleted, unless kept (after any header mark:
        CT_TrPr is a sequence)."""
        if mark is not Mark.KEPT:
            row._tr.get_or_add_trPr().append(self.element(mark, by))


def text_run(
    text: str, *, deleted: bool = False, bold: bool = False, italic: bool = False
) -> BaseOxmlElement:
    run = OxmlElement("w:r")
    if bold or italic:
        properties = OxmlElement("w:rPr")
        for wanted, tag in ((bold, "w:b"), (italic, "w:i")):
            if wanted:
                properties.append(OxmlElement(tag))
        run.append(properties)
    piece = OxmlElement("w:delText" if deleted else "w:t")
    piece.set(qn("xml:space"), "preserve")
    piece.text = xml_text(text)
    run.append(piece)
    return run


def break_run() -> BaseOxmlElement:
    run = OxmlElement("w:r")
    run.append(OxmlElement("w:br"))
    return run


def simple_field(paragraph: Paragraph, code: str, shown: str) -> None:
    """A field Word computes (``PAGE``, ``NUMPAGES``), showing ``shown`` until it does."""
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), f" {code} ")
    simple.append(text_run(shown))
    paragraph._p.append(simple)


def field_char(paragraph: Paragraph, kind: str) -> None:
    """Where a complex field begins (marked for updating), separates or ends."""
    run = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        char.set(qn("w:dirty"), "true")
    run.append(char)
    paragraph._p.append(run)


def field_instruction(paragraph: Paragraph, code: str) -> None:
    """A complex field's instruction, between its begin and separate characters."""
    run = OxmlElement("w:r")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = code
    run.append(instruction)
    paragraph._p.append(run)


def update_fields_on_open(docx: DocxDocument) -> None:
    """Ask Word to update the fields (the table of contents' page numbers) on opening."""
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    docx.settings.element.insert_element_before(update, *_AFTER_UPDATE_FIELDS)


def restarted_numbering(docx: DocxDocument, style: str) -> int:
    """A numbering instance of the style's list that starts again at 1."""
    numbering = docx.part.numbering_part.element
    style_properties = docx.styles[style].element.pPr
    assert style_properties is not None
    assert style_properties.numPr is not None
    style_num = style_properties.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    override = num.add_lvlOverride(ilvl=0)
    override.add_startOverride(1)
    return int(num.numId)


def number_with(paragraph: Paragraph, num_id: int) -> None:
    """Number ``paragraph`` in the list ``num_id`` (at its first level)."""
    properties = paragraph._p.get_or_add_pPr()
    numbering = properties.get_or_add_numPr()
    numbering.get_or_add_ilvl().val = 0
    numbering.get_or_add_numId().val = num_id


def heading_out_of_contents(docx: DocxDocument, depth: int) -> str:
    """A paragraph style that looks like "Heading ``depth``" but is body text to the table
    of contents and the navigation (a heading inside a section's text, not a section):
    "Subheading ``depth``", added once."""
    name = f"Subheading {depth}"
    if name not in (style.name for style in docx.styles):
        style = docx.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = docx.styles[f"Heading {depth}"]
        style.next_paragraph_style = docx.styles["Normal"]
        outline = OxmlElement("w:outlineLvl")
        outline.set(qn("w:val"), "9")  # body text
        properties = style.element.get_or_add_pPr()
        properties.insert_element_before(
            outline, "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"
        )
    return name


def repeat_header(table: Table) -> None:
    """The table's first row repeats at the top of each page it runs onto."""
    properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def shade(cell: _Cell, fill: str) -> None:
    """The cell's background, ``fill`` as six hex digits."""
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().insert_element_before(
        shading,
        "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
        "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
    )  # fmt: skip


def set_widths(table: Table, widths: tuple[float, ...]) -> None:
    """Fixed column widths, in millimetres."""
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = Mm(width)
