"""How the audit report is set: A4 pages, headings, labelled lines, tables, texts as
written and tracked changes, the footer. Imported only by the process that lays a report
out (:mod:`.layout_child`), from the steps a :class:`.script.ReportScript` recorded.

Set with ReportLab like the protocol documents, in their font (``server/pdf_fonts.py``:
DejaVu Sans, embedded, so any language's letters show; else Helvetica, Latin-1 only).
Tables repeat their headings on a new page and split a tall row across pages."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from domain.protocol_diff import Mark, Run
from server.audit.report.script import Step
from server.pdf_fonts import BUILDING, NOT_XML, face, markup

_MARGIN, _BOTTOM = 10 * mm, 15 * mm
_PAGE_WIDTH, _PAGE_HEIGHT = A4
WIDTH = _PAGE_WIDTH - 2 * _MARGIN

CONTEXT_WORDS = 8
"""Words of unchanged text shown on either side of a tracked change; the rest of an
unchanged run is left out (the text is printed in full elsewhere)."""
DELETED_COLOUR, INSERTED_COLOUR = "#a40000", "#0b4f9c"
_WORDS = re.compile(r"\S+\s*")
"""A word and the space after it."""


def tracked_markup(runs: Sequence[Run], context: int = CONTEXT_WORDS) -> str:
    """Tracked changes as Paragraph markup: deletions struck through, insertions
    underlined, each in its colour; an unchanged run keeps ``context`` words next to each
    change and the rest reads ``…``."""
    pieces = []
    last = len(runs) - 1
    for i, run in enumerate(runs):
        if run.mark is Mark.KEPT:
            pieces.append(_text(_elided(run.text, context, head=i > 0, tail=i < last)))
        elif run.mark is Mark.DELETED:
            pieces.append(
                f'<strike><font color="{DELETED_COLOUR}">{_text(run.text)}</font></strike>'
            )
        else:
            pieces.append(f'<u><font color="{INSERTED_COLOUR}">{_text(run.text)}</font></u>')
    return "".join(pieces)


def _elided(text: str, context: int, *, head: bool, tail: bool) -> str:
    """``text`` with only its first ``context`` words (if a change precedes it: ``head``)
    and its last ones (if one follows: ``tail``)."""
    words = _WORDS.findall(text)
    if len(words) <= (context if head else 0) + (context if tail else 0) + 1:
        return text
    start = text[: len(text) - len(text.lstrip())] + "".join(words[:context]) if head else ""
    end = " " + "".join(words[-context:]) if tail else ""
    return f"{start}…{end}"


def _text(value: str) -> str:
    return markup(value).replace("\n", "<br/>")


class ReportLayout:
    """The report's flowables, added in reading order, then laid out on A4 pages."""

    def __init__(self, title: str) -> None:
        self.report_title = title
        self.story: list[Flowable] = []
        self.body = ParagraphStyle("body", fontName=face(), fontSize=10, leading=14, spaceAfter=3)
        self.label = ParagraphStyle(
            "label", parent=self.body, fontName=face(bold=True), spaceBefore=2, spaceAfter=2
        )
        self.quoted = ParagraphStyle(
            "quoted",
            parent=self.body,
            fontSize=9,
            leading=12,
            leftIndent=6 * mm,
            borderPadding=3,
            borderColor=colors.grey,
            borderWidth=0.3,
            spaceBefore=3,
            spaceAfter=6,
        )
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8.5, leading=11, spaceAfter=0)
        self.cell_heading = ParagraphStyle(
            "cell-heading", parent=self.cell, fontName=face(bold=True)
        )

    def heading(self, text: str, size: float = 14) -> None:
        style = ParagraphStyle(
            f"h{size}",
            parent=self.label,
            fontSize=size,
            leading=size * 1.3,
            spaceBefore=9,
            spaceAfter=3,
            keepWithNext=True,
        )
        self.story.append(Paragraph(markup(text), style))

    def subheading(self, text: str) -> None:
        style = ParagraphStyle("sub", parent=self.label, keepWithNext=True)
        self.story.append(Paragraph(markup(text), style))

    def line_of(self, label: str, value: object) -> None:
        bold = face(bold=True)
        text = f'<font name="{bold}">{markup(f"{label}: ")}</font>{_text(str(value))}'
        self.story.append(Paragraph(text, self.body))

    def note(self, text: str) -> None:
        """A sentence of explanation, in small type."""
        self.story.append(Paragraph(_text(text), self.small))

    def text(self, label: str, value: str) -> None:
        """A text as written (a section's, a comment's), set apart under its label."""
        self.subheading(label)
        self.story.append(Paragraph(_text(value) or "(empty)", self.quoted))

    def tracked(self, label: str, runs: Sequence[tuple[str, str]]) -> None:
        """Tracked changes, each run as (mark, text)."""
        self.subheading(label)
        marked = tracked_markup([Run(mark=Mark(mark), text=text) for mark, text in runs])
        self.story.append(Paragraph(marked or "(empty)", self.quoted))

    def fixed(self, value: str) -> None:
        """Text to be read character for character (a signed note, a key)."""
        style = ParagraphStyle("fixed", parent=self.quoted, fontName="Courier", fontSize=8)
        self.story.append(Paragraph(_text(value), style))

    def rows(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float] | None = None,
        empty: str = "none",
    ) -> None:
        """A table under a row of headings; ``widths`` in proportion (equal without)."""
        if not rows:
            self.line_of(headings[0], empty)
            return
        weights = widths or [1] * len(headings)
        table = Table(
            [[Paragraph(markup(text), self.cell_heading) for text in headings]]
            + [[Paragraph(_text(str(value)), self.cell) for value in row] for row in rows],
            colWidths=[WIDTH * weight / sum(weights) for weight in weights],
            repeatRows=1,
            splitInRow=1,
            hAlign="LEFT",
            spaceBefore=2,
            spaceAfter=6,
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        self.story.append(table)

    def fields(self, values: Mapping[str, object]) -> None:
        for label, value in values.items():
            self.line_of(label, value)

    def new_page(self) -> None:
        self.story.append(PageBreak())

    def footer(self, canvas: Canvas, _document: Any) -> None:
        canvas.saveState()
        canvas.setFont(face(), 8)
        text = NOT_XML.sub("", f"{self.report_title} - page {canvas.getPageNumber()}")
        canvas.drawCentredString(_PAGE_WIDTH / 2, 8 * mm, text)
        canvas.restoreState()

    def output(self) -> bytes:
        """The PDF's bytes (CPU work: off the event loop; waits for any other PDF)."""
        out = io.BytesIO()
        document = BaseDocTemplate(
            out,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=_BOTTOM,
            title=NOT_XML.sub("", self.report_title),
            creator="Concord",
        )
        frame = Frame(_MARGIN, _BOTTOM, WIDTH, _PAGE_HEIGHT - _MARGIN - _BOTTOM, id="body")
        # the footer after the page's text, so that it is read last
        document.addPageTemplates([PageTemplate("page", [frame], onPageEnd=self.footer)])
        with BUILDING:
            document.build(self.story)
        return out.getvalue()


def lay_out(title: str, steps: Iterable[Step]) -> bytes:
    """The report's PDF from the steps a :class:`.script.ReportScript` recorded."""
    layout = ReportLayout(title)
    for name, *arguments in steps:
        getattr(layout, name)(*arguments)
    return layout.output()
