"""The human-readable audit report of a trial, as PDF: protocol version history,
amendments with their summary-of-changes tables and every signature manifested (printed
name, date and time, meaning), decisions with tallies, disputes with resolutions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

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

_FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


class _Report(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.report_title = title
        self.unicode = self._unicode_font()
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(title)

    def _unicode_font(self) -> bool:
        for folder in _FONT_FOLDERS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("Body", "", str(regular))
                self.add_font("Body", "B", str(bold))
                return True
        return False  # the core font: text outside Latin-1 is shown as "?"

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font("Body" if self.unicode else "Helvetica", "B" if bold else "", size)

    def clean(self, text: object) -> str:
        value = str(text)
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8)
        self.cell(0, 8, self.clean(f"{self.report_title} - page {self.page_no()}"), align="C")

    def heading(self, text: str, size: float = 14) -> None:
        self.ln(3)
        self.font(size, bold=True)
        self.multi_cell(0, 7, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.font(10)

    def line_of(self, label: str, value: object) -> None:
        self.font(10, bold=True)
        self.write(5, self.clean(f"{label}: "))
        self.font(10)
        self.write(5, self.clean(value))
        self.ln(6)

    def rows(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[int] | None = None,
    ) -> None:
        if not rows:
            self.line_of(headings[0], "none")
            return
        self.font(9)
        with self.table(text_align="LEFT", col_widths=widths) as table:
            for row in (headings, *rows):
                cells = table.row()
                for value in row:
                    cells.cell(self.clean(value))
        self.font(10)


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
    pdf.font(10, bold=True)
    pdf.cell(0, 6, "Summary of changes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.rows(
        ("Description", "Rationale", "Section(s)"),
        [(c.description, c.rationale, c.number) for c in amendment.changes.values()],
    )
    pdf.font(10, bold=True)
    pdf.cell(0, 6, "Signatures", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
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
    return report_pdf(await TrialHistory(store).at(trial_id, head, progress=progress))


def report_pdf(replayed: Replayed) -> bytes:
    """The audit report of a replayed trial, as PDF bytes."""
    trial_id, states = replayed.trial_id, replayed.states
    workspace: TrialState | None = states.get(trial_stream(trial_id))
    by_kind: dict[str, list[Any]] = {}
    for stream, state in sorted(states.items()):
        kind = kind_of(stream)
        by_kind.setdefault(kind.name if kind else "", []).append(state)
    title = workspace.title if workspace is not None else trial_id
    pdf = _Report(f"Audit report: {title}")
    pdf.add_page()
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
    return bytes(pdf.output())
