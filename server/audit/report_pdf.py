"""The human-readable audit report of a trial, as PDF: protocol version history,
amendments with their summary-of-changes tables and every signature manifested (printed
name, date and time, meaning), decisions with tallies, disputes with resolutions.

A4, set with ReportLab like the protocol documents, in their font (``server/pdf_fonts.py``:
DejaVu Sans, embedded, so any language's letters show; else Helvetica, Latin-1 only). The
page's footer names the report and the page; tables repeat their headings on a new page."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
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
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from domain.amendment_details import ImpactAssessment
from domain.amendment_state import AmendmentState
from domain.approval_policy import Signature
from domain.dispute import DisputeState
from domain.motion import MotionState
from domain.protocol_state import ProtocolState
from domain.streams import protocol_stream, trial_stream
from domain.workspace import TrialState
from events import EventStore
from events.canonical import format_timestamp
from server.audit.history import Replayed, TrialHistory
from server.audit.progress import Progress
from server.audit.trial_fold import kind_of
from server.commands.aggregates import AMENDMENT, DISPUTE, MOTION
from server.pdf_fonts import BUILDING, NOT_XML, face, markup

_MARGIN, _BOTTOM = 10 * mm, 15 * mm
_PAGE_WIDTH, _PAGE_HEIGHT = A4
_WIDTH = _PAGE_WIDTH - 2 * _MARGIN


class _Report:
    """The report's flowables, added in reading order, then laid out on A4 pages."""

    def __init__(self, title: str) -> None:
        self.report_title = title
        self.story: list[Flowable] = []
        self.body = ParagraphStyle("body", fontName=face(), fontSize=10, leading=14, spaceAfter=3)
        self.label = ParagraphStyle(
            "label", parent=self.body, fontName=face(bold=True), spaceBefore=2, spaceAfter=2
        )
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=9, leading=12, spaceAfter=0)
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
        self.story.append(Paragraph(markup(text), ParagraphStyle("sub", parent=self.label)))

    def line_of(self, label: str, value: object) -> None:
        bold = face(bold=True)
        text = f'<font name="{bold}">{markup(f"{label}: ")}</font>{markup(str(value))}'
        self.story.append(Paragraph(text, self.body))

    def rows(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[int] | None = None,
    ) -> None:
        """A table under a row of headings; ``widths`` in proportion (equal without)."""
        if not rows:
            self.line_of(headings[0], "none")
            return
        weights = widths or [1] * len(headings)
        table = Table(
            [[Paragraph(markup(text), self.cell_heading) for text in headings]]
            + [[Paragraph(markup(str(value)), self.cell) for value in row] for row in rows],
            colWidths=[_WIDTH * weight / sum(weights) for weight in weights],
            repeatRows=1,
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

    def footer(self, canvas: Canvas, _document: Any) -> None:
        canvas.saveState()
        canvas.setFont(face(), 8)
        text = NOT_XML.sub("", f"{self.report_title} - page {canvas.getPageNumber()}")
        canvas.drawCentredString(_PAGE_WIDTH / 2, 8 * mm, text)
        canvas.restoreState()

    def output(self) -> bytes:
        """The PDF's bytes (CPU work: off the event loop)."""
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
        frame = Frame(_MARGIN, _BOTTOM, _WIDTH, _PAGE_HEIGHT - _MARGIN - _BOTTOM, id="body")
        # the footer after the page's text, so that it is read last
        document.addPageTemplates([PageTemplate("page", [frame], onPageEnd=self.footer)])
        with BUILDING:
            document.build(self.story)
        return out.getvalue()


def _name(workspace: TrialState | None, user_id: str | None) -> str:
    if not user_id:
        return ""
    member = workspace.members.get(user_id) if workspace is not None else None
    return f"{member.printed_name} ({user_id})" if member else user_id


def _versions(pdf: _Report, protocol: ProtocolState | None) -> None:
    pdf.heading("Protocol version history")
    if protocol is None:
        pdf.line_of("Protocol", "not drafted")
        return
    pdf.line_of("Title", protocol.title)
    pdf.rows(
        ("Version", "Effective date", "Amendment", "Changed sections", "Content hash"),
        [
            (
                v.version,
                v.effective_date,
                v.amendment_id or "original",
                ", ".join(sorted(v.changed_sections)) or "all",
                v.content_hash,
            )
            for v in protocol.versions
        ],
    )


def _amendment(pdf: _Report, amendment: AmendmentState, workspace: TrialState | None) -> None:
    status = amendment.status.value if amendment.status else "unknown"
    pdf.heading(f"Amendment {amendment.amendment_id}: {status}", 12)
    pdf.line_of("Opened by", _name(workspace, amendment.opened_by))
    pdf.line_of("Base version", amendment.base_version)
    if (details := amendment.details) is not None:
        pdf.line_of("Summary", details.summary)
        pdf.line_of("Primary reason", details.primary_reason.value)
        secondary = ", ".join(r.value for r in details.secondary_reasons) or "none"
        pdf.line_of("Secondary reasons", secondary)
        safety, data = details.safety_or_rights_impact, details.data_reliability_impact
        pdf.line_of("Substantial impact on safety or rights", _impact(safety))
        pdf.line_of("Substantial impact on data reliability", _impact(data))
    pdf.subheading("Summary of changes")
    pdf.rows(
        ("Description", "Rationale", "Section(s)"),
        [(c.description, c.rationale, c.number) for c in amendment.changes.values()],
    )
    pdf.subheading("Signatures")
    pdf.rows(
        ("Printed name", "Date and time (UTC)", "Meaning", "Status", "Content hash"),
        [_signature(s, "valid") for s in amendment.signatures]
        + [_signature(s, "invalidated") for s in amendment.invalidated_signatures],
        widths=(40, 35, 22, 20, 63),
    )
    if amendment.closing_reason:
        pdf.line_of("Closing reason", amendment.closing_reason)
    if amendment.merged_version is not None:
        pdf.line_of("Merged as version", amendment.merged_version)


def _signature(signature: Signature, status: str) -> tuple[str, ...]:
    when = signature.signed_at.replace("T", " ").removesuffix("Z")
    meaning = signature.meaning.value
    return (signature.printed_name, when, meaning, status, signature.content_hash)


def _impact(answer: ImpactAssessment) -> str:
    return f"{'yes' if answer.likely else 'no'} - {answer.explanation}"


def _motion(pdf: _Report, motion: MotionState, workspace: TrialState | None) -> None:
    status = motion.status.value if motion.status else "unknown"
    pdf.heading(f"Motion {motion.motion_id}: {status}", 12)
    pdf.line_of("Question", motion.question)
    pdf.line_of("Quorum rule", motion.quorum_rule.name if motion.quorum_rule else "")
    pdf.line_of("Outcome", motion.outcome or "none")
    pdf.rows(("Option", "Votes"), [(t.option, t.votes) for t in motion.tally()])
    for voter, reason in motion.recused.items():
        pdf.line_of("Recused", f"{_name(workspace, voter)}: {reason}")


def _dispute(pdf: _Report, dispute: DisputeState, workspace: TrialState | None) -> None:
    state = "open" if dispute.is_open else "resolved"
    pdf.heading(f"Dispute {dispute.dispute_id}: {state}", 12)
    subject = dispute.subject_kind.value if dispute.subject_kind else ""
    pdf.line_of("Subject", f"{subject} {dispute.subject_id}")
    pdf.line_of("Concern", dispute.concern)
    pdf.line_of("Raised by", _name(workspace, dispute.raised_by))
    if dispute.ladder:
        pdf.line_of("Level", dispute.ladder[dispute.level].name)
    if dispute.resolution is not None:
        pdf.line_of("Resolution", dispute.resolution)
        pdf.line_of("Rationale", dispute.rationale or "")
        pdf.line_of("Resolved by", _name(workspace, dispute.resolved_by))


async def audit_report(
    store: EventStore, trial_id: str, *, progress: Progress | None = None
) -> bytes:
    """The trial's audit report as of the log's head, as PDF bytes."""
    head = await store.head_position()
    replayed = await TrialHistory(store).at(trial_id, head, progress=progress)
    return await asyncio.to_thread(report_pdf, replayed)


def report_pdf(replayed: Replayed) -> bytes:
    """The audit report of a replayed trial, as PDF bytes (CPU work: call it off the event
    loop; it waits for any other PDF being built)."""
    trial_id, states = replayed.trial_id, replayed.states
    workspace: TrialState | None = states.get(trial_stream(trial_id))
    by_kind: dict[str, list[Any]] = {}
    for stream, state in sorted(states.items()):
        kind = kind_of(stream)
        by_kind.setdefault(kind.name if kind else "", []).append(state)
    title = workspace.title if workspace is not None else trial_id
    pdf = _Report(f"Audit report: {title}")
    pdf.heading(f"Audit report: {title}", 18)
    pdf.line_of("Trial", trial_id)
    pdf.line_of(
        "As of log position", f"{replayed.at} (the trial's last event: {replayed.position})"
    )
    if replayed.recorded_at is not None:
        pdf.line_of("Last event recorded at (UTC)", format_timestamp(replayed.recorded_at))
    _versions(pdf, states.get(protocol_stream(trial_id)))
    pdf.heading("Amendments")
    for amendment in by_kind.get(AMENDMENT.name, []):
        _amendment(pdf, amendment, workspace)
    pdf.heading("Decisions")
    for motion in by_kind.get(MOTION.name, []):
        _motion(pdf, motion, workspace)
    pdf.heading("Disputes")
    for dispute in by_kind.get(DISPUTE.name, []):
        _dispute(pdf, dispute, workspace)
    return pdf.output()
