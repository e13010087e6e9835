"""The report's first pages: what it covers, the integrity result, and one table each of
the protocol's versions, the amendments, the decisions and the disputes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from domain import m11
from domain.amendment_state import AmendmentState
from domain.dispute import DisputeState
from domain.motion import MotionState
from domain.protocol_state import ProtocolState, PublishedVersion
from domain.streams import dispute_stream
from server.audit.report.comment_counts import ThreadCount
from server.audit.report.facts import SHOWN_MOTIONS, ReportFacts
from server.audit.report.script import ReportScript
from server.audit.report.wording import utc

SHORT = 160
"""Characters of a summary or a question a summary table shows (the detail has them all)."""


def in_order(states: Iterable[Any], key: str) -> list[Any]:
    """Records in the order of their ids' numbers (A-2 before A-10)."""
    return sorted(states, key=lambda s: _natural(getattr(s, key)))


def _natural(text: str) -> list[tuple[int, str]]:
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text)]


def of_type(facts: ReportFacts, kind: type[Any], key: str) -> list[Any]:
    return in_order((s for s in facts.states.values() if isinstance(s, kind) and s.exists), key)


def short(text: str) -> str:
    return text if len(text) <= SHORT else text[: SHORT - 1].rstrip() + "…"


def changed_sections(version: PublishedVersion) -> str:
    """The sections a version changed; the original's as a count, not 88 numbers."""
    if version.amendment_id is None and version.version == 1:
        return f"the original: all {len(version.document)} sections"
    return ", ".join(sorted(version.changed_sections, key=m11.sort_key)) or "none"


def summary(pdf: ReportScript, facts: ReportFacts) -> None:
    workspace, protocol = facts.workspace, facts.protocol
    title = workspace.title if workspace is not None else facts.trial_id
    integrity = facts.integrity
    pdf.heading(f"Audit report: {title}", 18)
    pdf.fields(
        {
            "Trial": facts.trial_id,
            "As of": f"log position {integrity.checkpoint.position:,}, signed"
            f" {utc(integrity.checkpoint.signed_at)}",
            "The trial's events": f"{facts.events:,}, the last at position"
            f" {facts.last_position:,}, recorded {utc(facts.last_recorded_at)}",
            "Integrity": f"{integrity.summary()} (the last page says how, and how to check it"
            " again)",
        }
    )
    pdf.note(
        "Times are the server's, in UTC (Z), to the second. People are named by their"
        " printed name as the trial knows it now; a person whose personal data was erased"
        " reads [erased]. In tracked changes, struck-through text was deleted and underlined"
        " text inserted. The summary comes first, the detail after it."
    )
    _versions(pdf, facts, protocol)
    _amendments(pdf, of_type(facts, AmendmentState, "amendment_id"))
    _decisions(pdf, of_type(facts, MotionState, "motion_id"), facts.motions)
    _disputes(pdf, facts, of_type(facts, DisputeState, "dispute_id"))
    _comments(pdf, list(facts.threads.values()))


def _versions(pdf: ReportScript, facts: ReportFacts, protocol: ProtocolState | None) -> None:
    pdf.heading("Protocol versions")
    if protocol is None or not protocol.exists:
        pdf.line_of("Protocol", "not drafted")
        return
    pdf.line_of("Title", protocol.title)
    pdf.line_of("Current version", protocol.current_version or "none published yet (a draft)")
    pdf.rows(
        (
            "Version",
            "Effective date",
            "Published (UTC)",
            "Amendment",
            "Changed sections",
            "Content hash",
        ),
        [
            (
                v.version,
                v.effective_date,
                utc(facts.published[v.version].at) if v.version in facts.published else "",
                v.amendment_id or "original",
                changed_sections(v),
                v.content_hash,
            )
            for v in protocol.versions
        ],
        widths=(11, 14, 16, 14, 21, 24),
        empty="none published yet",
    )


def _amendments(pdf: ReportScript, amendments: list[AmendmentState]) -> None:
    pdf.heading("Amendments")
    pdf.rows(
        ("Amendment", "Status", "Summary", "Sections", "Base, merged", "Valid signatures"),
        [
            (
                a.amendment_id,
                a.status.value if a.status else "",
                short(a.details.summary) if a.details else "",
                ", ".join(sorted(a.changes, key=m11.sort_key)),
                f"v{a.base_version}" + (f", as v{a.merged_version}" if a.merged_version else ""),
                len(a.signatures),
            )
            for a in amendments
        ],
        widths=(14, 12, 34, 14, 13, 13),
    )


def listed_motions(pdf: ReportScript, listed: int, motions: int) -> None:
    """Say how many motions the report lists, of how many, and where the rest are."""
    if motions > listed:
        pdf.note(
            f"The latest {listed:,} of the trial's {motions:,} motions are listed here and in"
            " detail; the audit trail (CSV) and the log (JSON Lines) exports have every one."
        )


def _decisions(pdf: ReportScript, motions: list[MotionState], total: int) -> None:
    pdf.heading("Decisions")
    listed_motions(pdf, min(len(motions), SHOWN_MOTIONS), total)
    pdf.rows(
        ("Motion", "Question", "Status", "Outcome"),
        [
            (m.motion_id, short(m.question), m.status.value if m.status else "", m.outcome or "")
            for m in motions
        ],
        widths=(12, 58, 14, 16),
    )


def _disputes(pdf: ReportScript, facts: ReportFacts, disputes: list[DisputeState]) -> None:
    pdf.heading("Disputes")
    rows = []
    for d in disputes:
        raised = facts.histories.get(dispute_stream(facts.trial_id, d.dispute_id), [])
        subject = f"{d.subject_kind.value if d.subject_kind else ''} {d.subject_id}"
        level = d.ladder[d.level].name if d.ladder else ""
        state = "open" if d.is_open else "resolved"
        rows.append(
            (
                d.dispute_id,
                subject,
                short(d.concern),
                state,
                level,
                utc(raised[0].at) if raised else "",
            )
        )
    pdf.rows(
        ("Dispute", "Subject", "Concern", "Status", "Level", "Raised (UTC)"),
        rows,
        widths=(11, 14, 37, 10, 12, 16),
    )


def _comments(pdf: ReportScript, threads: list[ThreadCount]) -> None:
    comments = sum(t.comments for t in threads)
    feedback = sum(t.feedback for t in threads)
    awaiting = sum(len(t.awaiting) for t in threads)
    pdf.heading("Comments")
    pdf.line_of(
        "Comments",
        f"{comments:,} in {len(threads):,} threads; {feedback:,} from patient advocates, which"
        f" need a disposition: {awaiting:,} still await one",
    )
