"""The protocol's versions in detail: for each, the text each changed section had before
it (Annex 11 §8.2: a printout shows whether data changed since it was entered), and for
the original version, the sections changed while the protocol was a draft, with the text
first entered."""

from __future__ import annotations

from domain import m11
from domain.protocol_state import ProtocolState, PublishedVersion
from server.audit.report.facts import DraftHistory, ReportFacts
from server.audit.report.script import ReportScript
from server.audit.report.wording import Names, utc


def versions(pdf: ReportScript, facts: ReportFacts, names: Names) -> None:
    protocol = facts.protocol
    if protocol is None or not protocol.exists:
        return
    pdf.new_page()
    pdf.heading("Protocol versions in detail")
    if not protocol.versions:
        pdf.note("No version is published yet: the protocol is a draft.")
        _drafted(pdf, facts, names)
    for version in protocol.versions:
        published = facts.published.get(version.version)
        origin = f"amendment {version.amendment_id}" if version.amendment_id else "the original"
        pdf.heading(f"Version {version.version}: {origin}", 12)
        pdf.fields(
            {
                "Effective date": version.effective_date,
                "Published": f"{utc(published.at)} by {names(published.by)}" if published else "",
                "Content hash": version.content_hash,
            }
        )
        if version.version == 1 and version.amendment_id is None:
            _drafted(pdf, facts, names)
        else:
            _superseded(pdf, protocol, version)


def _superseded(pdf: ReportScript, protocol: ProtocolState, version: PublishedVersion) -> None:
    before = protocol.version(version.version - 1)
    old = before.document if before is not None else {}
    for number in sorted(version.changed_sections, key=m11.sort_key):
        was, now = old.get(number), version.document.get(number)
        either = now or was
        heading = either.heading if either is not None else ""
        pdf.subheading(f"Section {number} {heading}")
        if was is None:
            pdf.note(f"Added by version {version.version}: it had no earlier text.")
        else:
            pdf.text(f"Superseded text (version {version.version - 1}): {was.heading}", was.text)
        # every version after the original comes from one amendment, which shows the text
        pdf.note(
            f"Removed by version {version.version}."
            if now is None
            else f"Its text from version {version.version}, and the changes tracked: amendment"
            f" {version.amendment_id}, below."
        )


def _drafted(pdf: ReportScript, facts: ReportFacts, names: Names) -> None:
    changed = facts.changed_in_draft
    if not changed:
        pdf.note("Every section was published as it was first entered.")
        return
    pdf.note(
        f"{len(changed)} section(s) changed after they were first entered, while the protocol"
        " was a draft; each with the text first entered and its latest revisions. The audit"
        " trail (CSV) has every revision."
    )
    for number in sorted(changed, key=m11.sort_key):
        _draft_section(pdf, changed[number], names)


def _draft_section(pdf: ReportScript, history: DraftHistory, names: Names) -> None:
    entered = history.entered
    pdf.subheading(f"Section {entered.number} {entered.heading}")
    pdf.fields(
        {
            "Entered": f"{utc(history.entered_at)} by {names(history.entered_by)}",
            "Changed": f"{history.revisions} time(s), by {names.all(history.authors)}"
            + (": removed before publication" if history.removed else ""),
        }
    )
    pdf.rows(
        ("When (UTC)", "What", "By", "Why"),
        [(utc(h.at), h.what, names(h.by), h.why) for h in history.latest],
        widths=(18, 14, 20, 48),
    )
    pdf.text("As first entered (superseded)", entered.text)
