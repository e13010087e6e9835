"""What waits for one person in one trial: the inbox's rules, from the trial's states.

Pure: the server gathers the states (the workspace, the protocol, every open amendment,
motion, dispute, comment thread and site) and says which actions the person's roles let
them attempt (:class:`Abilities`, from the permission table, which the domain does not
know); :func:`waiting_for` answers what waits for them, each with the record it is about
and, when the states know it, since when. The rules are the ones the commands are decided
by (signatories, separation of duties, eligible voters, the dispute ladder and conflicts
of interest, site oversight), so an item is offered only when acting on it would be
accepted now.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from domain import m11
from domain.actor import Actor
from domain.amendment_state import AmendmentState, AmendmentStatus
from domain.approval_policy import (
    Requirement,
    SignatureMeaning,
    missing_signatures,
    required_signatures,
)
from domain.dispute import DisputeContext, DisputeState, DisputeSubjectKind, ResolveDispute
from domain.dispute import decide as decide_dispute
from domain.engagement import CommentThread
from domain.errors import DomainError
from domain.motion import MotionState, MotionStatus
from domain.protocol_state import ProtocolState
from domain.roles import OrganizationKind, Role
from domain.sites import SiteState, may_activate, pending_versions
from domain.workspace_state import TrialState, actor_in


class InboxKind(StrEnum):
    """What kind of thing waits."""

    SIGNATURE = "signature"
    """An amendment awaits an approval the person could give."""
    REVIEW = "review"
    """A participant-facing change awaits the review the person could give."""
    VOTE = "vote"
    """An open motion awaits the person's vote (or recusal)."""
    DISPUTE = "dispute"
    """A dispute at a ladder level whose resolvers include the person."""
    MERGE = "merge"
    """An approved amendment awaits merging."""
    DISPOSITION = "disposition"
    """Patient advocate comments await a disposition."""
    SITE_APPROVAL = "site_approval"
    """A published version awaits the approval of the person's committee for a site."""
    SITE_ACTIVATION = "site_activation"
    """An approved version awaits activation at a site."""
    OWN_AMENDMENT = "own_amendment"
    """The progress of an amendment the person wrote."""
    ERASURE_APPROVAL = "erasure_approval"
    """An erasure of someone's personal data awaits the person's approval (outside any
    trial's states: the server adds these)."""


class Since(StrEnum):
    """Which event of the record's stream says when the wait began, when the state does
    not record the time itself."""

    FIRST_EVENT = "first"
    LAST_EVENT = "last"


@dataclass(frozen=True, slots=True, kw_only=True)
class Abilities:
    """Which of the relevant actions the person's roles let them attempt in the trial."""

    sign: bool = False
    merge: bool = False
    vote: bool = False
    handle_disputes: bool = False
    disposition: bool = False
    approve_for_site: bool = False
    activate_site: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialRecords:
    """A trial's states the inbox reads. ``dispute_subjects``: for each open dispute (by
    id), the record it is about as the trial holds it now (who may not resolve it)."""

    trial: TrialState
    protocol: ProtocolState
    amendments: Sequence[AmendmentState] = ()
    motions: Sequence[MotionState] = ()
    disputes: Sequence[DisputeState] = ()
    dispute_contexts: Mapping[str, DisputeContext] = field(default_factory=dict)
    threads: Sequence[CommentThread] = ()
    sites: Mapping[str, SiteState] = field(default_factory=dict)
    """Each investigator site's state, by organization id (a new one if it has no stream)."""
    voidings: Mapping[str, Voiding] = field(default_factory=dict)
    """The latest revision that voided signatures on each amendment, by amendment id."""
    comment_times: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """When each comment was posted (ISO 8601 UTC), by comment id, by thread record
    (``comments/section/5.2``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Voiding:
    """A revision after which ``signers``' signatures no longer counted: whose (``by``,
    a user id) and when (``at``, ISO 8601 UTC)."""

    signers: frozenset[str]
    by: str
    at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiting:
    """One thing that waits for the person.

    ``record`` names it within the trial as its stream does (``amendment/A-1``,
    ``motion/M-2``, ``dispute/D-1``, ``comments/section/5.2``, ``site/st-marys``).
    ``since`` is when the wait began, when the state records it; otherwise ``since_event``
    says which event of the record's stream tells (or None: nothing does)."""

    kind: InboxKind
    record: str
    title: str
    since: str | None = None
    since_event: Since | None = None


def waiting_for(user_id: str, records: TrialRecords, abilities: Abilities) -> tuple[Waiting, ...]:
    """Everything in the trial that waits for ``user_id`` (nothing for a non-member)."""
    if user_id not in records.trial.members:
        return ()
    actor = actor_in(records.trial, user_id)
    disputed = frozenset(
        d.subject_id
        for d in records.disputes
        if d.is_open and d.subject_kind is DisputeSubjectKind.AMENDMENT
    )
    names = {m.user_id: m.printed_name for m in records.trial.members.values()}
    return (
        *_amendments(actor, records, abilities, disputed, names),
        *_motions(actor, records, abilities),
        *_disputes(actor, records, abilities),
        *_dispositions(actor, records, abilities),
        *_sites(actor, records, abilities),
    )


def _label(amendment: AmendmentState) -> str:
    summary = amendment.details.summary if amendment.details else ""
    return f"{amendment.amendment_id} ({summary})" if summary else amendment.amendment_id


def _missing(amendment: AmendmentState, records: TrialRecords) -> tuple[Requirement, ...]:
    if amendment.details is None:
        return ()
    required = required_signatures(records.trial.charter, amendment.details, amendment.sections)
    return missing_signatures(
        required, amendment.signatures, amendment.content_hash, amendment.authors
    )


def _amendments(
    actor: Actor,
    records: TrialRecords,
    abilities: Abilities,
    disputed: frozenset[str],
    names: Mapping[str, str],
) -> Iterator[Waiting]:
    for amendment in records.amendments:
        record = f"amendment/{amendment.amendment_id}"
        if actor.user_id in amendment.authors and amendment.is_open:
            yield Waiting(
                kind=InboxKind.OWN_AMENDMENT,
                record=record,
                title=_progress(amendment, records, disputed),
                since=amendment.submitted_at or None,
                since_event=None if amendment.submitted_at else Since.LAST_EVENT,
            )
        if amendment.amendment_id in disputed:
            continue  # nobody signs or merges it while a dispute about it is open
        if amendment.status is AmendmentStatus.SUBMITTED and abilities.sign:
            yield from _signatures(actor, amendment, records, record)
        if amendment.status is AmendmentStatus.APPROVED and abilities.merge:
            yield Waiting(
                kind=InboxKind.MERGE,
                record=record,
                title=f"Merge {_label(amendment)}: approved, ready to become a new version",
                since_event=Since.LAST_EVENT,
            )


def _signatures(
    actor: Actor, amendment: AmendmentState, records: TrialRecords, record: str
) -> Iterator[Waiting]:
    """The requirements the actor could fulfil: never on their own amendment (separation
    of duties), nor twice."""
    if actor.user_id in amendment.authors:
        return
    if any(s.signer_id == actor.user_id for s in amendment.signatures):
        return
    voiding = records.voidings.get(amendment.amendment_id)
    voided = voiding is not None and actor.user_id in voiding.signers
    mine = [
        r
        for r in _missing(amendment, records)
        if r.signatories.admit(actor.roles, actor.organization_kind)
    ]
    if not mine:
        return
    review = all(r.meaning is SignatureMeaning.REVIEW for r in mine)
    what = " or ".join(r.name for r in mine)
    verb = "Review" if review else "Sign"
    if any(r.needs_committee_vote for r in mine):
        verb = "Record the committee's approval of"
    facing = records.trial.charter.approval.participant_facing_sections
    shown = sorted((n for n in amendment.sections if m11.is_within(n, facing)), key=m11.sort_key)
    where = f" (participant-facing: {', '.join(shown)})" if review and shown else ""
    title = f"{verb} {_label(amendment)}: {what} awaited{where}"
    since = amendment.submitted_at or None
    if voided and voiding is not None:
        whose = f"{_names(records).get(voiding.by, voiding.by)}'s" if voiding.by else "a"
        again = "review it again" if review else "sign again"
        title = (
            f"Your {'review' if review else 'signature'} on {_label(amendment)} was voided by"
            f" {whose} revision on {when(voiding.at)}: {again} ({what} awaited{where})"
        )
        since = voiding.at
    yield Waiting(
        kind=InboxKind.REVIEW if review else InboxKind.SIGNATURE,
        record=record,
        title=title,
        since=since,
        since_event=None if since else Since.LAST_EVENT,
    )


def _names(records: TrialRecords) -> dict[str, str]:
    return {m.user_id: m.printed_name for m in records.trial.members.values()}


def when(at: str) -> str:
    """An ISO 8601 UTC time as a title says it: ``2026-12-04 23:50 UTC``."""
    return f"{at[:10]} {at[11:16]} UTC" if len(at) >= 16 else at


def _progress(amendment: AmendmentState, records: TrialRecords, disputed: frozenset[str]) -> str:
    """Where the person's own amendment stands and who acts next, in one line."""
    label = _label(amendment)
    if amendment.amendment_id in disputed:
        return f"{label} is disputed: a dispute about it must be resolved before it goes on"
    if amendment.conflict is not None:
        merged = ", ".join(amendment.conflict.merged_amendments)
        return f"{label} conflicts with {merged}, merged first: rebase it"
    if amendment.status is AmendmentStatus.DRAFT:
        return f"{label} is a draft: submit it for signatures when it is ready"
    if amendment.status is AmendmentStatus.APPROVED:
        return f"{label} is approved: a sponsor lead or trial admin merges it next"
    missing = _missing(amendment, records)
    required = (
        required_signatures(records.trial.charter, amendment.details, amendment.sections)
        if amendment.details
        else ()
    )
    given = len(required) - len(missing)
    nxt = " and ".join(_who(r) for r in missing)
    return f"{label}: {given} of {len(required)} signatures; {nxt} next"


_ROLE_WORDS = {
    Role.SPONSOR_LEAD: "the sponsor's lead",
    Role.SPONSOR_MEMBER: "a sponsor member",
    Role.ETHICS_REVIEWER: "the ethics committee",
    Role.PATIENT_ADVOCATE: "a patient advocate",
    Role.INVESTIGATOR: "an investigator",
    Role.TRIAL_ADMIN: "a trial admin",
    Role.SITE_STAFF: "site staff",
    Role.AUDITOR: "an auditor",
}


def _who(requirement: Requirement) -> str:
    roles = sorted(requirement.signatories.roles, key=lambda role: role.value)
    people = " or ".join(_ROLE_WORDS.get(role, role.value) for role in roles)
    return f"{people} ({requirement.name}) acts"


def _motions(actor: Actor, records: TrialRecords, abilities: Abilities) -> Iterator[Waiting]:
    if not abilities.vote:
        return
    for motion in records.motions:
        if (
            motion.status is MotionStatus.OPEN
            and actor.user_id in motion.eligible_voters
            and actor.user_id not in motion.votes
            and actor.user_id not in motion.recused
        ):
            yield Waiting(
                kind=InboxKind.VOTE,
                record=f"motion/{motion.motion_id}",
                title=f"Vote on {motion.motion_id}: {motion.question} (closes {motion.deadline})",
                since_event=Since.FIRST_EVENT,
            )


def _disputes(actor: Actor, records: TrialRecords, abilities: Abilities) -> Iterator[Waiting]:
    if not abilities.handle_disputes:
        return
    for dispute in records.disputes:
        context = records.dispute_contexts.get(dispute.dispute_id)
        if not dispute.is_open or context is None:
            continue
        if not _may_resolve(dispute, actor, context):
            continue
        level = dispute.ladder[dispute.level].name
        subject = f"{dispute.subject_kind} {dispute.subject_id}" if dispute.subject_kind else ""
        yield Waiting(
            kind=InboxKind.DISPUTE,
            record=f"dispute/{dispute.dispute_id}",
            title=f"Settle {dispute.dispute_id} about {subject} ({level} level): {dispute.concern}",
            since_event=Since.LAST_EVENT,
        )


def _may_resolve(dispute: DisputeState, actor: Actor, context: DisputeContext) -> bool:
    """Whether resolving would be accepted now: asked of the dispute's own decision (with
    a stand-in resolution), so the ladder, separation of duties and conflicts of interest
    are judged by the one set of rules."""
    probe = ResolveDispute(actor=actor, resolution="(inbox)", rationale="(inbox)")
    try:
        decide_dispute(dispute, probe, context)
    except DomainError:
        return False
    return True


def _dispositions(actor: Actor, records: TrialRecords, abilities: Abilities) -> Iterator[Waiting]:
    if not abilities.disposition:
        return
    for thread in records.threads:
        awaiting = [
            thread.comments[c]
            for c in sorted(thread.awaiting_disposition())
            if thread.comments[c].author_id != actor.user_id
        ]
        if not awaiting or thread.subject_kind is None:
            continue
        kind, subject = thread.subject_kind.value, thread.subject_id
        count = (
            "1 patient advocate comment"
            if len(awaiting) == 1
            else f"{len(awaiting)} patient advocate comments"
        )
        verb = "awaits" if len(awaiting) == 1 else "await"
        record = f"comments/{kind}/{subject}"
        times = records.comment_times.get(record, {})
        posted = [times[c.comment_id] for c in awaiting if c.comment_id in times]
        yield Waiting(
            kind=InboxKind.DISPOSITION,
            record=record,
            title=f"{count} on {kind} {subject} {verb} a disposition",
            since=min(posted) if posted else None,
            since_event=None if posted else Since.LAST_EVENT,
        )


def _sites(actor: Actor, records: TrialRecords, abilities: Abilities) -> Iterator[Waiting]:
    charter, protocol = records.trial.charter, records.protocol
    for site_id, site in records.sites.items():
        organization = records.trial.organizations.get(site_id)
        if organization is None or organization.kind is not OrganizationKind.SITE:
            continue
        pending = pending_versions(site, charter.site_oversight.get(site_id), protocol)
        if not pending:
            continue
        newest = pending[-1]
        record = f"site/{site_id}"
        ours = [
            body
            for body, approver in newest.missing
            if approver and approver == actor.organization_id
        ]
        if abilities.approve_for_site and Role.ETHICS_REVIEWER in actor.roles and ours:
            bodies = " and ".join(f"{body.value} approval" for body in ours)
            yield Waiting(
                kind=InboxKind.SITE_APPROVAL,
                record=record,
                title=f"Record {bodies} of version {newest.version} for {organization.name}",
            )
        if newest.ready and abilities.activate_site and may_activate(actor, site_id):
            yield Waiting(
                kind=InboxKind.SITE_ACTIVATION,
                record=record,
                title=f"Activate version {newest.version} at {organization.name}: approved",
            )


# -- updates ----------------------------------------------------------------------------


class UpdateKind(StrEnum):
    """What became of the person's own comments and amendments."""

    DISPOSITION = "disposition"
    REPLY = "reply"
    APPROVED = "approved"
    REJECTED = "rejected"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"
    CONFLICT = "conflict"


_DISPOSITION_WORDS = {
    "adopted": "adopted",
    "partly_adopted": "partly adopted",
    "declined": "declined",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """Something that happened to the comments or the amendment of the people ``to``.

    ``record``: the thread or amendment it happened on (``comments/section/5.2``,
    ``amendment/A-1``); ``subject``: how a title names it (``section 5.2``,
    ``A-1 (Lower the dose)``); ``at``: when (ISO 8601 UTC); ``by``: whose doing (a user
    id; blank: nobody's, as a conflict); ``detail``: the disposition, a reason, a version
    or the amendments merged first, as ``kind`` says."""

    kind: UpdateKind
    record: str
    subject: str
    at: str
    to: frozenset[str]
    by: str = ""
    detail: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Update:
    """One line under the person's recent updates."""

    kind: UpdateKind
    record: str
    title: str
    at: str


def updates_for(
    user_id: str,
    notices: Iterable[Notice],
    names: Mapping[str, str],
    *,
    not_before: str,
    limit: int,
) -> tuple[Update, ...]:
    """The notices addressed to ``user_id`` from ``not_before`` on, newest first, at most
    ``limit``; never their own doing."""
    mine = sorted(
        (n for n in notices if user_id in n.to and n.by != user_id and n.at >= not_before),
        key=lambda n: (n.at, n.record),
        reverse=True,
    )[:limit]
    return tuple(
        Update(kind=n.kind, record=n.record, title=_update_title(n, names), at=n.at) for n in mine
    )


def _update_title(notice: Notice, names: Mapping[str, str]) -> str:
    who = names.get(notice.by, notice.by) if notice.by else "Someone"
    because = f": {notice.reason}" if notice.reason else ""
    subject = notice.subject
    match notice.kind:
        case UpdateKind.DISPOSITION:
            verb = _DISPOSITION_WORDS.get(notice.detail, notice.detail)
            return f"{who} {verb} your comment on {subject}{because}"
        case UpdateKind.REPLY:
            return f"{who} replied to your comment on {subject}"
        case UpdateKind.APPROVED:
            return f"Your amendment {subject} was approved: every required signature is on it"
        case UpdateKind.REJECTED:
            return f"{who} rejected your amendment {subject}{because}"
        case UpdateKind.MERGED:
            return f"{who} merged your amendment {subject} as version {notice.detail}"
        case UpdateKind.WITHDRAWN:
            return f"{who} withdrew your amendment {subject}{because}"
        case UpdateKind.CONFLICT:
            return (
                f"Your amendment {subject} conflicts with {notice.detail}, merged first: rebase it"
            )
