"""What waits for each person in a trial (domain.inbox), decided by the same rules as the
commands: signatories and separation of duties, eligible voters, the dispute ladder and
conflicts of interest, patient advocate feedback, site oversight."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain import amendment, dispute, engagement, motion
from domain.actor import Actor
from domain.amendment import AmendmentContext, AmendmentState
from domain.amendment_details import ProposedChange
from domain.charter import DEFAULT_CHARTER, Charter, SiteOversight
from domain.dispute import DisputeContext, DisputeSubjectKind
from domain.engagement import CommentSubjectKind
from domain.frozen import frozen_map
from domain.inbox import (
    Abilities,
    InboxKind,
    Notice,
    Since,
    TrialRecords,
    UpdateKind,
    Voiding,
    Waiting,
    updates_for,
    waiting_for,
)
from domain.motion import MotionState
from domain.protocol import ProtocolState
from domain.roles import OrganizationKind, Role
from domain.site_events import ApprovalBody, SiteApprovalRecorded
from domain.sites import NEW_SITE, SiteState
from domain.sites import fold as fold_site
from domain.subjects import RecordKind, SubjectRecord
from domain.workspace_state import NEW_TRIAL, Member, Organization, TrialState
from tests.unit.domain.conftest import NOON

EVERYTHING = Abilities(
    sign=True,
    merge=True,
    vote=True,
    handle_disputes=True,
    disposition=True,
    approve_for_site=True,
    activate_site=True,
)


def trial_of(*people: Actor, charter: Charter = DEFAULT_CHARTER) -> TrialState:
    organizations = {
        p.organization_id: Organization(
            organization_id=p.organization_id,
            name=p.organization_id.title(),
            kind=p.organization_kind,
        )
        for p in people
    }
    members = {
        p.user_id: Member(
            user_id=p.user_id,
            printed_name=p.printed_name,
            organization_id=p.organization_id,
            roles=p.roles,
        )
        for p in people
    }
    return replace(
        NEW_TRIAL,
        trial_id="t-1",
        title="ACME-101",
        charter=charter,
        organizations=frozen_map(organizations),
        members=frozen_map(members),
    )


def waiting(
    who: Actor,
    trial: TrialState,
    protocol: ProtocolState,
    abilities: Abilities = EVERYTHING,
    **records: Any,
) -> list[tuple[InboxKind, str]]:
    found = waiting_for(
        who.user_id, TrialRecords(trial=trial, protocol=protocol, **records), abilities
    )
    return [(w.kind, w.record) for w in found]


def items(
    who: Actor, trial: TrialState, protocol: ProtocolState, **records: Any
) -> tuple[Waiting, ...]:
    return waiting_for(
        who.user_id, TrialRecords(trial=trial, protocol=protocol, **records), EVERYTHING
    )


def test_a_submitted_amendment_waits_for_the_sponsor_lead_not_its_author_nor_the_auditor(
    sponsor_lead: Actor,
    investigator: Actor,
    auditor: Actor,
    admin: Actor,
    submitted: AmendmentState,
    published_protocol: ProtocolState,
) -> None:
    trial = trial_of(sponsor_lead, investigator, auditor, admin)
    [sign] = items(sponsor_lead, trial, published_protocol, amendments=[submitted])
    assert sign.kind is InboxKind.SIGNATURE
    assert sign.record == "amendment/A-1"
    assert "sponsor approval" in sign.title
    assert "Widen the age range" in sign.title
    assert sign.since == submitted.submitted_at or sign.since_event is Since.LAST_EVENT

    [own] = items(investigator, trial, published_protocol, amendments=[submitted])
    assert own.kind is InboxKind.OWN_AMENDMENT
    assert "0 of 1 signatures" in own.title
    assert "the sponsor's lead (sponsor approval) acts next" in own.title

    # The auditor may attempt nothing; the admin's roles are no signatories.
    none = Abilities()
    assert waiting(auditor, trial, published_protocol, none, amendments=[submitted]) == []
    assert waiting(admin, trial, published_protocol, amendments=[submitted]) == []
    # Without the right to sign, nothing to sign, whatever the charter says.
    no_signing = replace(EVERYTHING, sign=False)
    assert (
        waiting(sponsor_lead, trial, published_protocol, no_signing, amendments=[submitted]) == []
    )


def test_a_non_member_has_nothing_waiting(
    sponsor_lead: Actor, submitted: AmendmentState, published_protocol: ProtocolState
) -> None:
    trial = trial_of()
    assert waiting(sponsor_lead, trial, published_protocol, amendments=[submitted]) == []


def test_a_participant_facing_change_asks_the_advocate_for_a_review(
    sponsor_lead: Actor,
    investigator: Actor,
    advocate: Actor,
    submitted: AmendmentState,
    context: AmendmentContext,
    published_protocol: ProtocolState,
) -> None:
    consent = ProposedChange(
        number="11.3",
        heading="Informed Consent Process",
        text="Written consent, with a companion for participants over 65",
        description="A companion may attend",
        rationale="Older participants asked for it",
    )
    draft = amendment.fold(
        amendment.decide(
            replace(submitted, status=amendment.AmendmentStatus.DRAFT),
            amendment.ProposeSectionChange(actor=investigator, change=consent),
            context,
        ),
        replace(submitted, status=amendment.AmendmentStatus.DRAFT),
    )
    facing = replace(draft, status=amendment.AmendmentStatus.SUBMITTED)
    trial = trial_of(sponsor_lead, investigator, advocate)
    [review] = items(advocate, trial, published_protocol, amendments=[facing])
    assert review.kind is InboxKind.REVIEW
    assert "patient advocate review" in review.title
    assert review.title.endswith("(participant-facing: 11.3)")
    [own] = items(investigator, trial, published_protocol, amendments=[facing])
    assert "0 of 2 signatures" in own.title


def test_an_approved_amendment_waits_to_be_merged_by_those_who_may(
    sponsor_lead: Actor,
    investigator: Actor,
    approved: AmendmentState,
    published_protocol: ProtocolState,
) -> None:
    trial = trial_of(sponsor_lead, investigator)
    assert waiting(sponsor_lead, trial, published_protocol, amendments=[approved]) == [
        (InboxKind.MERGE, "amendment/A-1")
    ]
    cannot_merge = replace(EVERYTHING, merge=False)
    assert (
        waiting(sponsor_lead, trial, published_protocol, cannot_merge, amendments=[approved]) == []
    )
    # An investigator may not merge (rbac's table): only her amendment's progress.
    [own] = waiting_for(
        investigator.user_id,
        TrialRecords(trial=trial, protocol=published_protocol, amendments=[approved]),
        cannot_merge,
    )
    assert own.kind is InboxKind.OWN_AMENDMENT
    assert "is approved" in own.title


def test_a_dispute_waits_for_its_level_resolvers_except_the_authors_and_blocks_signing(
    sponsor_lead: Actor,
    investigator: Actor,
    advocate: Actor,
    ethics_reviewer: Actor,
    submitted: AmendmentState,
    published_protocol: ProtocolState,
) -> None:
    raise_it = dispute.RaiseDispute(
        actor=advocate,
        dispute_id="D-1",
        trial_id="t-1",
        subject_kind=DisputeSubjectKind.AMENDMENT,
        subject_id="A-1",
        concern="Too fast",
    )
    subject = SubjectRecord(
        kind=RecordKind.AMENDMENT,
        record_id="A-1",
        exists=True,
        authors=submitted.authors,
        organizations=frozenset({investigator.organization_id}),
    )
    context = DisputeContext(charter=DEFAULT_CHARTER, subject=subject)
    raised = dispute.fold(dispute.decide(dispute.NEW_DISPUTE, raise_it, context))
    trial = trial_of(sponsor_lead, investigator, advocate, ethics_reviewer)
    records: dict[str, Any] = {
        "amendments": [submitted],
        "disputes": [raised],
        "dispute_contexts": {"D-1": context},
    }

    # Sam holds a role of the first level; the dispute stops A-1's signatures meanwhile.
    assert waiting(sponsor_lead, trial, published_protocol, **records) == [
        (InboxKind.DISPUTE, "dispute/D-1")
    ]
    # Ivy holds one too, but A-1 is her work: she sees her amendment is disputed instead.
    [own] = items(investigator, trial, published_protocol, **records)
    assert own.kind is InboxKind.OWN_AMENDMENT
    assert "disputed" in own.title
    # Pat raised it; Eve's level comes later.
    assert waiting(advocate, trial, published_protocol, **records) == []
    assert waiting(ethics_reviewer, trial, published_protocol, **records) == []
    escalated = replace(raised, level=2)
    records["disputes"] = [escalated]
    assert waiting(ethics_reviewer, trial, published_protocol, **records) == [
        (InboxKind.DISPUTE, "dispute/D-1")
    ]
    resolved = replace(escalated, resolved_by="eve")
    records["disputes"] = [resolved]
    assert waiting(ethics_reviewer, trial, published_protocol, **records) == []


def test_an_open_motion_waits_for_each_eligible_voter_until_they_vote_or_recuse(
    sponsor_lead: Actor, advocate: Actor, auditor: Actor, published_protocol: ProtocolState
) -> None:
    tabled = MotionState(
        motion_id="M-1",
        trial_id="t-1",
        question="Use the diary app?",
        options=("yes", "no"),
        eligible_voters=frozenset({"sam", "pat"}),
        deadline="2026-03-09T12:00:00.000000Z",
        status=motion.MotionStatus.OPEN,
    )
    trial = trial_of(sponsor_lead, advocate, auditor)
    [vote] = items(advocate, trial, published_protocol, motions=[tabled])
    assert (vote.kind, vote.record, vote.since_event) == (
        InboxKind.VOTE,
        "motion/M-1",
        Since.FIRST_EVENT,
    )
    assert "Use the diary app?" in vote.title
    assert waiting(auditor, trial, published_protocol, motions=[tabled]) == []
    voted = replace(tabled, votes=frozen_map({"pat": "yes"}))
    assert waiting(advocate, trial, published_protocol, motions=[voted]) == []
    recused = replace(tabled, recused=frozen_map({"sam": "co-author"}))
    assert waiting(sponsor_lead, trial, published_protocol, motions=[recused]) == []
    closed = replace(tabled, status=motion.MotionStatus.DECIDED)
    assert waiting(advocate, trial, published_protocol, motions=[closed]) == []


def test_advocate_comments_wait_for_a_disposition_by_anyone_but_their_author(
    sponsor_lead: Actor, advocate: Actor, published_protocol: ProtocolState
) -> None:
    post = engagement.PostComment(
        actor=advocate,
        trial_id="t-1",
        subject_kind=CommentSubjectKind.SECTION,
        subject_id="5.2",
        comment_id="C-1",
        text="Please explain",
    )
    thread = engagement.fold(engagement.decide(engagement.NEW_THREAD, post))
    trial = trial_of(sponsor_lead, advocate)
    [item] = items(sponsor_lead, trial, published_protocol, threads=[thread])
    assert (item.kind, item.record) == (InboxKind.DISPOSITION, "comments/section/5.2")
    assert item.title == "1 patient advocate comment on section 5.2 awaits a disposition"
    assert waiting(advocate, trial, published_protocol, threads=[thread]) == []
    no = replace(EVERYTHING, disposition=False)
    assert waiting(sponsor_lead, trial, published_protocol, no, threads=[thread]) == []


def test_a_published_version_waits_for_the_sites_committee_then_its_activation(
    sponsor_lead: Actor, published_protocol: ProtocolState
) -> None:
    eve = Actor(
        user_id="eve",
        printed_name="Eve Ethics",
        organization_id="irb",
        organization_kind=OrganizationKind.ETHICS,
        roles=frozenset({Role.ETHICS_REVIEWER}),
    )
    ivy = Actor(
        user_id="ivy",
        printed_name="Ivy",
        organization_id="st-marys",
        organization_kind=OrganizationKind.SITE,
        roles=frozenset({Role.INVESTIGATOR}),
    )
    charter = replace(
        DEFAULT_CHARTER,
        site_oversight=frozen_map({"st-marys": SiteOversight(ethics_committee="irb")}),
    )
    trial = trial_of(sponsor_lead, eve, ivy, charter=charter)
    sites = {"st-marys": NEW_SITE}
    assert waiting(eve, trial, published_protocol, sites=sites) == [
        (InboxKind.SITE_APPROVAL, "site/st-marys")
    ]
    assert waiting(ivy, trial, published_protocol, sites=sites) == []
    approval = SiteApprovalRecorded(
        trial_id="t-1",
        site_id="st-marys",
        version=1,
        amendment_id=None,
        body=ApprovalBody.ETHICS,
        organization_id="irb",
        approved_on="2026-03-01",
        reference="IRB-1",
        recorded_by="eve",
        recorded_at=NOON.isoformat(),
    )
    approved: SiteState = fold_site([approval])
    sites = {"st-marys": approved}
    assert waiting(eve, trial, published_protocol, sites=sites) == []
    for activator in (ivy, sponsor_lead):
        assert waiting(activator, trial, published_protocol, sites=sites) == [
            (InboxKind.SITE_ACTIVATION, "site/st-marys")
        ]


def test_a_voided_signature_says_whose_revision_voided_it_and_when(
    sponsor_lead: Actor,
    investigator: Actor,
    submitted: AmendmentState,
    published_protocol: ProtocolState,
) -> None:
    trial = trial_of(sponsor_lead, investigator)
    at = "2026-03-02T10:15:00.000000Z"
    voiding = Voiding(signers=frozenset({sponsor_lead.user_id}), by=investigator.user_id, at=at)
    [sign] = items(
        sponsor_lead, trial, published_protocol, amendments=[submitted], voidings={"A-1": voiding}
    )
    assert sign.kind is InboxKind.SIGNATURE
    assert sign.title.startswith(
        f"Your signature on A-1 (Widen the age range) was voided by"
        f" {investigator.printed_name}'s revision on 2026-03-02 10:15 UTC: sign again"
    )
    assert sign.since == at
    # Someone whose signature it did not void is asked as before.
    other = Voiding(signers=frozenset({"u-someone"}), by=investigator.user_id, at=at)
    [plain] = items(
        sponsor_lead, trial, published_protocol, amendments=[submitted], voidings={"A-1": other}
    )
    assert plain.title.startswith("Sign A-1 ")


def test_a_comment_waits_since_it_was_posted(
    sponsor_lead: Actor, advocate: Actor, published_protocol: ProtocolState
) -> None:
    post = engagement.PostComment(
        actor=advocate,
        trial_id="t-1",
        subject_kind=CommentSubjectKind.SECTION,
        subject_id="5.2",
        comment_id="C-1",
        text="Please explain",
    )
    thread = engagement.fold(engagement.decide(engagement.NEW_THREAD, post))
    trial = trial_of(sponsor_lead, advocate)
    times = {"comments/section/5.2": {"C-1": "2026-03-01T09:00:00.000000Z"}}
    [item] = items(sponsor_lead, trial, published_protocol, threads=[thread], comment_times=times)
    assert item.since == "2026-03-01T09:00:00.000000Z"


def notice(kind: UpdateKind, at: str, **fields: Any) -> Notice:
    base: dict[str, Any] = {
        "kind": kind,
        "record": "amendment/A-1",
        "subject": "A-1 (Widen the age range)",
        "at": at,
        "to": frozenset({"u-ivy"}),
    }
    return Notice(**(base | fields))


def test_updates_are_the_persons_own_news_newest_first_within_the_window() -> None:
    names = {"u-sam": "Samira Reyes", "u-pat": "Pat Okafor"}
    notices = [
        notice(UpdateKind.APPROVED, "2026-03-02T00:00:00Z"),
        notice(UpdateKind.MERGED, "2026-03-03T00:00:00Z", by="u-sam", detail="2"),
        notice(UpdateKind.REJECTED, "2026-01-01T00:00:00Z", by="u-sam", reason="old"),
        notice(UpdateKind.WITHDRAWN, "2026-03-04T00:00:00Z", by="u-ivy", reason="mine"),
        notice(UpdateKind.CONFLICT, "2026-03-01T00:00:00Z", detail="A-2"),
        notice(
            UpdateKind.DISPOSITION,
            "2026-03-05T00:00:00Z",
            record="comments/section/5.2",
            subject="section 5.2",
            to=frozenset({"u-pat"}),
            by="u-sam",
            detail="partly_adopted",
            reason="In part",
        ),
    ]
    ivy = updates_for("u-ivy", notices, names, not_before="2026-02-01T00:00:00Z", limit=10)
    assert [u.title for u in ivy] == [
        "Samira Reyes merged your amendment A-1 (Widen the age range) as version 2",
        "Your amendment A-1 (Widen the age range) was approved: every required signature is on it",
        "Your amendment A-1 (Widen the age range) conflicts with A-2, merged first: rebase it",
    ]  # not her own withdrawal, not the one before the window, not Pat's news
    assert len(updates_for("u-ivy", notices, names, not_before="", limit=2)) == 2
    [pat] = updates_for("u-pat", notices, names, not_before="", limit=10)
    assert pat.title == "Samira Reyes partly adopted your comment on section 5.2: In part"
    assert pat.record == "comments/section/5.2"
