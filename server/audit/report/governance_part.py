"""Decisions and disputes in detail: each motion with its question, quorum rule, voters,
tally, recusals and outcome; each dispute with its concern, its escalation ladder (each
level, who may settle there, and when, by whom and why it was reached) and its
resolution."""

from __future__ import annotations

from domain.dispute import DisputeState
from domain.motion import MotionState
from domain.streams import dispute_stream
from server.audit.report.facts import ReportFacts
from server.audit.report.script import ReportScript
from server.audit.report.summary_part import listed_motions, of_type
from server.audit.report.wording import Names, utc


def decisions(pdf: ReportScript, facts: ReportFacts, names: Names) -> None:
    motions = of_type(facts, MotionState, "motion_id")
    if not motions:
        return
    pdf.heading("Decisions in detail")
    listed_motions(pdf, len(motions), facts.motions)
    for motion in motions:
        status = motion.status.value if motion.status else "unknown"
        pdf.heading(f"Motion {motion.motion_id}: {status}", 12)
        pdf.fields(
            {
                "Question": motion.question,
                "Quorum rule": motion.quorum_rule.name if motion.quorum_rule else "",
                "Eligible voters": names.all(sorted(motion.eligible_voters, key=names)),
                "Deadline": utc(motion.deadline),
                "Outcome": motion.outcome or "none",
            }
        )
        pdf.rows(("Option", "Votes"), [(t.option, t.votes) for t in motion.tally()])
        for voter, reason in motion.recused.items():
            pdf.line_of("Recused", f"{names(voter)}: {reason}")


def disputes(pdf: ReportScript, facts: ReportFacts, names: Names) -> None:
    found = of_type(facts, DisputeState, "dispute_id")
    if not found:
        return
    pdf.heading("Disputes in detail")
    for dispute in found:
        _dispute(pdf, facts, names, dispute)


def _dispute(pdf: ReportScript, facts: ReportFacts, names: Names, dispute: DisputeState) -> None:
    state = "open" if dispute.is_open else "resolved"
    pdf.heading(f"Dispute {dispute.dispute_id}: {state}", 12)
    history = facts.histories.get(dispute_stream(facts.trial_id, dispute.dispute_id), [])
    subject = dispute.subject_kind.value if dispute.subject_kind else ""
    raised = history[0] if history else None
    pdf.fields(
        {
            "Subject": f"{subject} {dispute.subject_id}",
            "Concern": dispute.concern,
            "Raised": f"{utc(raised.at) if raised else ''} by {names(dispute.raised_by)}",
        }
    )
    # the steps that took the dispute up the ladder, in order: level 1, 2, ...
    climbs = [h for h in history if h.what.startswith("escalated")]
    pdf.subheading("Escalation ladder")
    rows = []
    for index, level in enumerate(dispute.ladder):
        who_may = ", ".join(sorted(role.value.replace("_", " ") for role in level.resolver_roles))
        if index == 0:
            reached = f"raised here, {utc(raised.at)}" if raised else "raised here"
        elif index <= len(climbs):
            climb = climbs[index - 1]
            reached = f"{utc(climb.at)} by {names(climb.by)}: {climb.why}"
        else:
            reached = "not reached"
        current = " (current)" if index == dispute.level and dispute.is_open else ""
        rows.append((f"{index + 1}{current}", level.name, who_may, reached))
    pdf.rows(("Level", "Name", "Who may settle it", "Reached"), rows, widths=(10, 16, 26, 48))
    if dispute.resolution is not None:
        resolved = next((h for h in history if h.what.startswith("resolved")), None)
        when = f"{utc(resolved.at)}, {resolved.what}, " if resolved else ""
        pdf.fields(
            {
                "Resolution": dispute.resolution,
                "Rationale": dispute.rationale or "",
                "Resolved": f"{when}by {names(dispute.resolved_by)}",
            }
        )
