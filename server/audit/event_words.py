"""Every trial event in plain words, for the auditor's timeline.

One table (:data:`WORDS`) holds, for each event type a trial's streams record, what the
person did ("submitted amendment A-1") and a one-line summary taken from the event's data
("Widen the upper age limit to 75 years"). ``tests/unit/server/test_event_words.py``
checks that it covers every trial event type of the domain, so a new event cannot be
forgotten. :data:`MARKERS` says which events mark the slider (published versions,
amendments, signatures, decisions); :data:`AUTOMATIC` which ones are the system's
consequence of another act (an approval follows the last required signature) rather than
anyone's own act.

The words read the event's JSON data as the log holds it (never decoded into the domain's
classes), so an event of an older shape still reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

SUMMARY_CHARS = 160
"""A summary's length at most: one line."""


class Names(Protocol):
    """Printed names the workspace knows, by id."""

    def person(self, user_id: str) -> str: ...

    def organization(self, organization_id: str) -> str: ...


class Words(NamedTuple):
    action: str
    """What was done: "submitted amendment A-1" after the person's name, or the whole
    sentence for an :data:`AUTOMATIC` event ("Amendment A-1 approved (…)")."""
    summary: str
    """One line from the event's data: the amendment's summary, the stated reason, …"""


Phrase = Callable[[Mapping[str, Any], Names], Words]


@dataclass(frozen=True, slots=True)
class Fallback:
    """The words for a type the table does not know (an event of a later release read by
    an earlier one): its name, spaced."""

    event_type: str

    def __call__(self, data: Mapping[str, Any], names: Names) -> Words:
        spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in self.event_type)
        return Words(f"recorded “{spaced.strip()}”", _reason(data))


def one_line(text: object) -> str:
    """The first line of ``text``, cut to :data:`SUMMARY_CHARS` characters."""
    line = str(text or "").strip().split("\n", 1)[0].strip()
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1].rstrip() + "…"


def _reason(data: Mapping[str, Any]) -> str:
    for key in ("reason", "rationale", "concern", "note"):
        if data.get(key):
            return one_line(data[key])
    return ""


def _spaced(value: object) -> str:
    return str(value or "").replace("_", " ").replace("-", " ")


def _people(ids: Iterable[object], names: Names) -> str:
    return ", ".join(names.person(str(i)) for i in ids) or "nobody"


def _listed(values: Iterable[object]) -> str:
    return ", ".join(str(v) for v in values)


def _details(data: Mapping[str, Any]) -> Mapping[str, Any]:
    details = data.get("details")
    return details if isinstance(details, Mapping) else {}


def _change(data: Mapping[str, Any]) -> Mapping[str, Any]:
    change = data.get("change")
    return change if isinstance(change, Mapping) else {}


def _signature(data: Mapping[str, Any]) -> Mapping[str, Any]:
    signature = data.get("signature")
    return signature if isinstance(signature, Mapping) else {}


def _tally(count: object) -> str:
    if not isinstance(count, Mapping):
        return ""
    tally = count.get("tally") or ()
    votes = "; ".join(
        f"{t.get('option')}: {t.get('votes')}" for t in tally if isinstance(t, Mapping)
    )
    cast, needed = count.get("votes_cast"), count.get("votes_needed")
    return f"{votes} ({cast} votes cast, {needed} needed for a quorum)"


def _subject(data: Mapping[str, Any]) -> str:
    return f"{_spaced(data.get('subject_kind'))} {data.get('subject_id', '')}".strip()


def _version_summary(data: Mapping[str, Any]) -> str:
    parts = [f"effective {data.get('effective_date', '')}"]
    changed = list(data.get("changed_sections") or ())
    if 0 < len(changed) <= 6:
        parts.append(f"sections changed: {_listed(changed)}")
    elif changed:
        parts.append(f"{len(changed)} sections changed")
    if data.get("amendment_id"):
        parts.append(f"from amendment {data['amendment_id']}")
    return "; ".join(parts)


def _revised(data: Mapping[str, Any], verb: str) -> str:
    via = f" (merging amendment {data['amendment_id']})" if data.get("amendment_id") else ""
    return f"{verb} section {data.get('number', '')}{via}"


def _signed(data: Mapping[str, Any], names: Names) -> Words:
    signature = _signature(data)
    meaning = _spaced(signature.get("meaning"))
    return Words(
        f"signed amendment {data.get('amendment_id', '')} ({meaning})",
        f"signed as {signature.get('printed_name', '')}, meaning {meaning}",
    )


def _ethics(data: Mapping[str, Any], names: Names) -> Words:
    vote = _signature(data).get("committee_vote")
    said = ""
    if isinstance(vote, Mapping):
        counted = ", ".join(f"{_spaced(k)} {v}" for k, v in vote.items() if isinstance(v, int))
        said = f"committee vote: {counted}" if counted else ""
    return Words(
        f"recorded the ethics committee's approval of amendment {data.get('amendment_id', '')}",
        said,
    )


def _comment(data: Mapping[str, Any], names: Names) -> Words:
    if data.get("in_reply_to"):
        action = f"replied to comment {data['in_reply_to']} on {_subject(data)}"
    else:
        action = f"commented on {_subject(data)}"
    return Words(action, one_line(data.get("text")))


def _review_comment(data: Mapping[str, Any], names: Names) -> Words:
    on = f" (section {data['section']})" if data.get("section") else ""
    return Words(
        f"remarked on the review of amendment {data.get('amendment_id', '')}{on}",
        one_line(data.get("text")),
    )


def _approval_at_site(data: Mapping[str, Any], names: Names) -> Words:
    site = names.organization(str(data.get("organization_id") or data.get("site_id") or ""))
    body = _spaced(data.get("body"))
    return Words(
        f"recorded the {body} approval of version {data.get('version', '')} at {site}",
        one_line(
            f"reference {data.get('reference', '')}; approved on {data.get('approved_on', '')}"
        ),
    )


def _imported(data: Mapping[str, Any], names: Names) -> Words:
    record = data.get("record")
    record = record if isinstance(record, Mapping) else {}
    return Words(
        "drafted the protocol from an imported file",
        one_line(f"{record.get('file_name', '')} ({record.get('format', '')})"),
    )


def _a(data: Mapping[str, Any]) -> str:
    return str(data.get("amendment_id", ""))


WORDS: Mapping[str, Phrase] = {
    # the workspace
    "TrialCreated": lambda d, n: Words(f"founded the trial “{d.get('title', '')}”", ""),
    "OrganizationAdmitted": lambda d, n: Words(
        f"admitted {d.get('name', '')} to the trial", f"{_spaced(d.get('kind'))} organization"
    ),
    "MemberAdded": lambda d, n: Words(
        f"added {d.get('printed_name', '')} to the trial",
        f"member for {n.organization(str(d.get('organization_id', '')))}",
    ),
    "MemberInvited": lambda d, n: Words(
        f"invited {d.get('username', '')} to join the trial",
        f"for {n.organization(str(d.get('organization_id', '')))}",
    ),
    "InvitationWithdrawn": lambda d, n: Words(
        f"withdrew invitation {d.get('invitation_id', '')}", _reason(d)
    ),
    "InvitationAccepted": lambda d, n: Words("accepted the invitation and joined the trial", ""),
    "InvitationDeclined": lambda d, n: Words("declined the invitation to the trial", _reason(d)),
    "TrainingAttested": lambda d, n: Words(
        f"attested {n.person(str(d.get('user_id', '')))}'s training in {d.get('course', '')}",
        f"completed on {d.get('completed_on', '')}",
    ),
    "TrainingAttestationWithdrawn": lambda d, n: Words(
        f"withdrew {n.person(str(d.get('user_id', '')))}'s training in {d.get('course', '')}",
        _reason(d),
    ),
    "RoleGranted": lambda d, n: Words(
        f"granted {n.person(str(d.get('user_id', '')))} the role {_spaced(d.get('role'))}",
        _reason(d),
    ),
    "RoleRevoked": lambda d, n: Words(
        f"revoked the role {_spaced(d.get('role'))} of {n.person(str(d.get('user_id', '')))}",
        _reason(d),
    ),
    "CharterAmended": lambda d, n: Words("amended the trial's charter", _reason(d)),
    # the protocol
    "ProtocolDrafted": lambda d, n: Words(
        f"drafted the protocol “{d.get('title', '')}”",
        f"{len(d.get('sections') or ())} sections",
    ),
    "ProtocolImported": _imported,
    "SectionRevised": lambda d, n: Words(
        _revised(d, "revised"), _reason(d) or f"revision {d.get('revision', '')}"
    ),
    "SectionAdded": lambda d, n: Words(
        _revised(d, "added"), one_line(d.get("heading")) or _reason(d)
    ),
    "SectionRemoved": lambda d, n: Words(_revised(d, "removed"), _reason(d)),
    "SectionEditConflicted": lambda d, n: Words(
        f"proposed an edit of section {d.get('number', '')} that conflicts with revision"
        f" {d.get('head_revision', '')}",
        _reason(d),
    ),
    "SectionConflictResolved": lambda d, n: Words(
        f"settled the edit conflict on section {d.get('number', '')}",
        _reason(d) or f"revision {d.get('revision', '')}",
    ),
    "ProtocolVersionPublished": lambda d, n: Words(
        f"published version {d.get('version', '')} of the protocol", _version_summary(d)
    ),
    "SharedTextStarted": lambda d, n: Words(
        f"began editing section {d.get('number', '')} together with others", ""
    ),
    "SharedTextEdited": lambda d, n: Words(
        f"edited the shared text of section {d.get('number', '')}", ""
    ),
    "SharedTextRecorded": lambda d, n: Words(
        f"recorded the shared text of section {d.get('number', '')}",
        _reason(d) or f"by {_people(d.get('contributors') or (), n)}",
    ),
    # amendments
    "AmendmentOpened": lambda d, n: Words(
        f"opened amendment {_a(d)}", one_line(_details(d).get("summary"))
    ),
    "AmendmentDetailsRevised": lambda d, n: Words(
        f"revised the details of amendment {_a(d)}", one_line(_details(d).get("summary"))
    ),
    "SectionChangeProposed": lambda d, n: Words(
        f"proposed a change to section {_change(d).get('number', '')} in amendment {_a(d)}",
        one_line(_change(d).get("description") or _change(d).get("rationale")),
    ),
    "SectionChangeRetracted": lambda d, n: Words(
        f"took the change to section {d.get('number', '')} out of amendment {_a(d)}", ""
    ),
    "AmendmentSubmitted": lambda d, n: Words(
        f"submitted amendment {_a(d)} for signature",
        f"content hash {str(d.get('content_hash', '')).removeprefix('sha256:')[:12]}…",
    ),
    "ReviewCommented": _review_comment,
    "SignatureApplied": _signed,
    "EthicsApprovalRecorded": _ethics,
    "SignaturesInvalidated": lambda d, n: Words(
        f"Signatures on amendment {_a(d)} invalidated: its content changed",
        f"signed before by {_people(d.get('signers') or (), n)}",
    ),
    "AmendmentApproved": lambda d, n: Words(
        f"Amendment {_a(d)} approved (all required signatures given)",
        f"signed by {_people(d.get('signatories') or (), n)}",
    ),
    "AmendmentRejected": lambda d, n: Words(f"rejected amendment {_a(d)}", _reason(d)),
    "AmendmentWithdrawn": lambda d, n: Words(f"withdrew amendment {_a(d)}", _reason(d)),
    "AmendmentConflictDetected": lambda d, n: Words(
        f"Amendment {_a(d)} found in conflict with protocol version"
        f" {d.get('protocol_version', '')}",
        f"sections {_listed(d.get('sections') or ())};"
        f" merged: {_listed(d.get('merged_amendments') or ())}",
    ),
    "AmendmentRebased": lambda d, n: Words(
        f"rebased amendment {_a(d)} from version {d.get('from_version', '')} onto version"
        f" {d.get('onto_version', '')}",
        one_line(d.get("note")),
    ),
    "AmendmentMerged": lambda d, n: Words(
        f"merged amendment {_a(d)} into the protocol as version {d.get('protocol_version', '')}",
        f"effective {d.get('effective_date', '')}",
    ),
    "ConcurrentModificationNoted": lambda d, n: Words(
        f"Amendment {_a(d)} noted as changing the same sections as"
        f" {_listed(d.get('concurrent_with') or ())}",
        "",
    ),
    # motions
    "MotionTabled": lambda d, n: Words(
        f"tabled motion {d.get('motion_id', '')}", one_line(d.get("question"))
    ),
    "VoteCast": lambda d, n: Words(
        f"voted “{d.get('option', '')}” on motion {d.get('motion_id', '')}", ""
    ),
    "VoterRecused": lambda d, n: Words(
        f"stepped aside from the vote on motion {d.get('motion_id', '')}", _reason(d)
    ),
    "MotionDecided": lambda d, n: Words(
        f"closed motion {d.get('motion_id', '')}: decided “{d.get('outcome', '')}”",
        _tally(d.get("count")),
    ),
    "MotionLapsed": lambda d, n: Words(
        f"closed motion {d.get('motion_id', '')}: lapsed without a quorum",
        _tally(d.get("count")),
    ),
    # disputes
    "DisputeRaised": lambda d, n: Words(
        f"raised dispute {d.get('dispute_id', '')} about {_subject(d)}", _reason(d)
    ),
    "DisputeEscalated": lambda d, n: Words(
        f"escalated dispute {d.get('dispute_id', '')} to {d.get('level_name', '')}", _reason(d)
    ),
    "DisputeResolved": lambda d, n: Words(
        f"resolved dispute {d.get('dispute_id', '')} ({d.get('level_name', '')})",
        one_line(d.get("resolution")),
    ),
    # comments
    "CommentPosted": _comment,
    "FeedbackDispositioned": lambda d, n: Words(
        f"marked {n.person(str(d.get('author_id', '')))}'s comment {d.get('comment_id', '')} on"
        f" {_subject(d)} {_spaced(d.get('disposition'))}",
        _reason(d),
    ),
    # investigator sites
    "SiteApprovalRecorded": _approval_at_site,
    "SiteActivated": lambda d, n: Words(
        f"activated version {d.get('version', '')} at {n.organization(str(d.get('site_id', '')))}",
        f"from amendment {d['amendment_id']}" if d.get("amendment_id") else "",
    ),
}
"""Every trial event type: what was done, and a one-line summary."""

MARKERS: Mapping[str, str] = {
    "ProtocolVersionPublished": "version",
    "AmendmentOpened": "amendment",
    "AmendmentSubmitted": "amendment",
    "AmendmentMerged": "amendment",
    "AmendmentWithdrawn": "amendment",
    "SignatureApplied": "signature",
    "EthicsApprovalRecorded": "decision",
    "AmendmentApproved": "decision",
    "AmendmentRejected": "decision",
    "MotionDecided": "decision",
    "MotionLapsed": "decision",
    "DisputeResolved": "decision",
}
"""The events marked on the timeline's slider, by kind."""

MARKER_KINDS = ("version", "amendment", "signature", "decision")

AUTOMATIC = frozenset(
    {
        "AmendmentApproved",
        "SignaturesInvalidated",
        "AmendmentConflictDetected",
        "ConcurrentModificationNoted",
    }
)
"""Events the system records as the consequence of another act in the same append (the
last required signature approves; a revision invalidates signatures; a merge finds
conflicts): the append's actor did not do them, so they are not said to have."""


def words_of(event_type: str, data: Mapping[str, Any], names: Names) -> Words:
    """The event in plain words; a type the table does not know reads as its name."""
    phrase = WORDS.get(event_type) or Fallback(event_type)
    action, summary = phrase(data, names)
    return Words(action, one_line(summary))


def types_of_kinds(kinds: Iterable[str]) -> frozenset[str]:
    """The event types marked as any of ``kinds``."""
    wanted = set(kinds)
    return frozenset(t for t, kind in MARKERS.items() if kind in wanted)
