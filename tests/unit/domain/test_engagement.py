"""Comment threads, and a disposition for every patient advocate comment."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from domain import catalog, engagement, errors
from domain.actor import Actor
from domain.engagement import (
    CommentPosted,
    CommentSubjectKind,
    CommentThread,
    Disposition,
    DispositionFeedback,
    FeedbackDispositioned,
    PostComment,
)
from tests.unit.domain.steps import runner

run = runner(engagement.decide, engagement.fold)


def post(actor: Actor, comment_id: str, text: str = "Visit 3 is a long trip") -> PostComment:
    return PostComment(
        actor=actor,
        trial_id="t-1",
        subject_kind=CommentSubjectKind.SECTION,
        subject_id="1.3",
        comment_id=comment_id,
        text=text,
    )


@pytest.fixture(scope="module")
def thread(advocate: Actor, investigator: Actor) -> CommentThread:
    return run(engagement.NEW_THREAD, post(advocate, "c-1"), post(investigator, "c-2", "Agreed"))


def test_an_advocates_comment_awaits_a_disposition(advocate: Actor, thread: CommentThread) -> None:
    assert engagement.decide(engagement.NEW_THREAD, post(advocate, "c-1")) == [
        CommentPosted(
            trial_id="t-1",
            subject_kind=CommentSubjectKind.SECTION,
            subject_id="1.3",
            comment_id="c-1",
            text="Visit 3 is a long trip",
            author_id="pat",
            needs_disposition=True,
        )
    ]
    assert thread.awaiting_disposition() == {"c-1"}


def test_a_disposition_states_a_reason_and_tells_the_author(
    thread: CommentThread, sponsor_lead: Actor
) -> None:
    disposition = DispositionFeedback(
        actor=sponsor_lead,
        comment_id="c-1",
        disposition=Disposition.PARTLY_ADOPTED,
        reason="Visit 3 becomes a phone call",
    )
    assert engagement.decide(thread, disposition) == [
        FeedbackDispositioned(
            subject_kind=CommentSubjectKind.SECTION,
            subject_id="1.3",
            comment_id="c-1",
            disposition=Disposition.PARTLY_ADOPTED,
            reason="Visit 3 becomes a phone call",
            dispositioned_by="sam",
            author_id="pat",
        )
    ]
    settled = run(thread, disposition)
    assert settled.awaiting_disposition() == frozenset()
    assert settled.comments["c-1"].disposition is Disposition.PARTLY_ADOPTED
    with pytest.raises(errors.AlreadyDispositioned, match="partly_adopted by sam"):
        engagement.decide(settled, disposition)
    with pytest.raises(errors.RequiredTextMissing, match="reason for the disposition declined"):
        engagement.decide(thread, replace(disposition, disposition=Disposition.DECLINED, reason=""))


def test_nobody_dispositions_their_own_comment(thread: CommentThread, advocate: Actor) -> None:
    own = DispositionFeedback(
        actor=advocate, comment_id="c-1", disposition=Disposition.ADOPTED, reason="r"
    )
    with pytest.raises(errors.SeparationOfDuties):
        engagement.decide(thread, own)


def test_only_existing_comments_get_replies_and_dispositions(
    thread: CommentThread, sponsor_lead: Actor
) -> None:
    with pytest.raises(errors.CommentNotFound):
        engagement.decide(thread, replace(post(sponsor_lead, "c-3"), in_reply_to="c-9"))
    with pytest.raises(errors.CommentNotFound):
        engagement.decide(
            thread,
            DispositionFeedback(
                actor=sponsor_lead, comment_id="c-9", disposition=Disposition.ADOPTED, reason="r"
            ),
        )
    replied = run(thread, replace(post(sponsor_lead, "c-3", "Noted"), in_reply_to="c-1"))
    assert replied.comments["c-3"].in_reply_to == "c-1"


def test_a_comment_id_is_used_once_and_a_comment_has_text(
    thread: CommentThread, sponsor_lead: Actor
) -> None:
    with pytest.raises(errors.CommentAlreadyPosted):
        engagement.decide(thread, post(sponsor_lead, "c-1"))
    with pytest.raises(errors.RequiredTextMissing):
        engagement.decide(thread, post(sponsor_lead, "c-4", text=" "))


def test_a_thread_is_about_one_valid_subject(thread: CommentThread, sponsor_lead: Actor) -> None:
    elsewhere = replace(post(sponsor_lead, "c-5"), subject_id="11.3")
    with pytest.raises(
        errors.InvalidCommand, match=re.escape("this thread is about section 1.3, not section 11.3")
    ):
        engagement.decide(thread, elsewhere)
    with pytest.raises(errors.InvalidSectionNumber):
        engagement.decide(engagement.NEW_THREAD, replace(elsewhere, subject_id="consent"))
    on_amendment = replace(elsewhere, subject_kind=CommentSubjectKind.AMENDMENT, subject_id="A-1")
    assert engagement.decide(engagement.NEW_THREAD, on_amendment)


def test_a_comment_on_an_amendment_is_anchored_to_a_section_it_changes(
    advocate: Actor, sponsor_lead: Actor
) -> None:
    on_amendment = replace(
        post(advocate, "c-1", "Visit 3 is still long"),
        subject_kind=CommentSubjectKind.AMENDMENT,
        subject_id="A-1",
        section="1.3",
    )
    changed = frozenset({"1.3", "5.2"})
    [posted] = engagement.decide(engagement.NEW_THREAD, on_amendment, changed)
    assert isinstance(posted, CommentPosted)
    assert posted.section == "1.3"
    thread = engagement.fold([posted])
    assert thread.comments["c-1"].section == "1.3"
    # A reply is anchored or not as its author chooses; unanchored is the whole amendment.
    reply = replace(on_amendment, actor=sponsor_lead, comment_id="c-2", in_reply_to="c-1")
    replied = run(thread, replace(reply, section=None))
    assert replied.comments["c-2"].section is None
    with pytest.raises(
        errors.ProposedChangeNotFound, match=r"A-1 proposes no change to section 9\.1"
    ):
        engagement.decide(thread, replace(reply, section="9.1"), changed)
    with pytest.raises(errors.InvalidSectionNumber):
        engagement.decide(thread, replace(reply, section="nine"), changed)
    with pytest.raises(errors.InvalidCommand, match="about it already"):
        engagement.decide(engagement.NEW_THREAD, replace(post(advocate, "c-1"), section="1.3"))


def test_comments_logged_before_anchors_read_as_about_the_whole_subject() -> None:
    data = {
        "trial_id": "t-1",
        "subject_kind": "amendment",
        "subject_id": "A-1",
        "comment_id": "c-1",
        "text": "Fine",
        "author_id": "pat",
        "needs_disposition": True,
        "in_reply_to": None,
    }
    posted = catalog.from_data("CommentPosted", data, 1)
    assert isinstance(posted, CommentPosted)
    assert posted.section is None
