"""Every domain command as an HTTP route, in one table (see :mod:`server.command_fields`
for what a route states). The OpenAPI document, validation, dispatch and the
authorization walk in the tests all read this table."""

from __future__ import annotations

from collections.abc import Mapping

from domain import amendment as am
from domain import dispute as dp
from domain import engagement as en
from domain import motion as mo
from domain import protocol as pr
from domain import workspace as ws
from domain.engagement import CommentSubjectKind
from domain.merging import MergeAmendment
from domain.streams import (
    amendment_stream,
    comments_stream,
    dispute_stream,
    motion_stream,
    protocol_stream,
    trial_stream,
)
from rbac import Action
from server.aggregates import AMENDMENT, COMMENTS, DISPUTE, MOTION, PROTOCOL, WORKSPACE
from server.command_fields import CommandRoute, Source
from server.commanding import Target
from server.problems import Problem


def _trial(p: Mapping[str, str]) -> Target:
    return Target(WORKSPACE, p["trial_id"], trial_stream(p["trial_id"]))


def _protocol(p: Mapping[str, str]) -> Target:
    return Target(PROTOCOL, p["trial_id"], protocol_stream(p["trial_id"]))


def _amendment(p: Mapping[str, str]) -> Target:
    return Target(AMENDMENT, p["trial_id"], amendment_stream(p["trial_id"], p["amendment_id"]))


def _motion(p: Mapping[str, str]) -> Target:
    return Target(MOTION, p["trial_id"], motion_stream(p["trial_id"], p["motion_id"]))


def _dispute(p: Mapping[str, str]) -> Target:
    return Target(DISPUTE, p["trial_id"], dispute_stream(p["trial_id"], p["dispute_id"]))


def _thread(p: Mapping[str, str]) -> Target:
    kind = comment_subject_kind(p["subject_kind"])
    return Target(COMMENTS, p["trial_id"], comments_stream(p["trial_id"], kind, p["subject_id"]))


def comment_subject_kind(text: str) -> CommentSubjectKind:
    """The kind of thing a comment thread is about, named in a path (404 otherwise)."""
    try:
        return CommentSubjectKind(text)
    except ValueError:
        kinds = [kind.value for kind in CommentSubjectKind]
        raise Problem(
            404, "not-found", f"comments are about one of {kinds}, not {text!r}"
        ) from None


T = "/api/trials/{trial_id}"
A = T + "/amendments/{amendment_id}"
M = T + "/motions/{motion_id}"
D = T + "/disputes/{dispute_id}"
C = T + "/comments/{subject_kind}/{subject_id}"
_NOW = Source.NOW
_ID = Source.NEW_ID
_SIGNED = {"signed_at": _NOW, "password_confirmed": Source.PASSWORD}
_ACT = Action

COMMAND_ROUTES: tuple[CommandRoute, ...] = (
    # -- workspace
    CommandRoute(
        "admit_organization",
        "POST",
        T + "/organizations",
        ws.AdmitOrganization,
        _ACT.ADMINISTER,
        _trial,
        "Admit an organization to the trial",
        created=True,
    ),
    CommandRoute(
        "add_member",
        "POST",
        T + "/members",
        ws.AddMember,
        _ACT.ADMINISTER,
        _trial,
        "Add a user as a member of an admitted organization",
        {"printed_name": Source.MEMBER_NAME},
        created=True,
    ),
    CommandRoute(
        "attest_training",
        "POST",
        T + "/members/{user_id}/training",
        ws.AttestTraining,
        _ACT.ADMINISTER,
        _trial,
        "Record a member's completed training",
    ),
    CommandRoute(
        "grant_role",
        "POST",
        T + "/members/{user_id}/roles",
        ws.GrantRole,
        _ACT.ADMINISTER,
        _trial,
        "Grant a governance role, with a reason",
    ),
    CommandRoute(
        "revoke_role",
        "POST",
        T + "/members/{user_id}/role-revocations",
        ws.RevokeRole,
        _ACT.ADMINISTER,
        _trial,
        "Revoke a governance role, with a reason",
    ),
    CommandRoute(
        "amend_charter",
        "PUT",
        T + "/charter",
        ws.AmendCharter,
        _ACT.ADMINISTER,
        _trial,
        "Replace the governance charter, with a reason",
    ),
    # -- protocol
    CommandRoute(
        "draft_protocol",
        "POST",
        T + "/protocol",
        pr.DraftProtocol,
        _ACT.EDIT_PROTOCOL,
        _protocol,
        "Start the protocol from the M11 outline",
        created=True,
    ),
    CommandRoute(
        "revise_section",
        "PUT",
        T + "/protocol/sections/{number}",
        pr.ReviseSection,
        _ACT.EDIT_PROTOCOL,
        _protocol,
        "Revise a section's text (merged three ways when the base is older)",
    ),
    CommandRoute(
        "add_section",
        "POST",
        T + "/protocol/sections",
        pr.AddSection,
        _ACT.EDIT_PROTOCOL,
        _protocol,
        "Add a subsection below level 2",
        created=True,
    ),
    CommandRoute(
        "remove_section",
        "DELETE",
        T + "/protocol/sections/{number}",
        pr.RemoveSection,
        _ACT.EDIT_PROTOCOL,
        _protocol,
        "Remove a subsection below level 2",
    ),
    CommandRoute(
        "resolve_edit_conflict",
        "POST",
        T + "/protocol/conflicts/{conflict_number}/resolution",
        pr.ResolveEditConflict,
        _ACT.EDIT_PROTOCOL,
        _protocol,
        "Resolve an edit conflict with the agreed text",
    ),
    CommandRoute(
        "publish_protocol",
        "POST",
        T + "/protocol/versions",
        pr.PublishProtocol,
        _ACT.PUBLISH_PROTOCOL,
        _protocol,
        "Publish the draft as version 1",
        created=True,
    ),
    # -- amendments
    CommandRoute(
        "open_amendment",
        "POST",
        T + "/amendments",
        am.OpenAmendment,
        _ACT.AUTHOR_AMENDMENT,
        _amendment,
        "Open an amendment against a published version",
        {"amendment_id": _ID},
        created=True,
    ),
    CommandRoute(
        "revise_amendment_details",
        "PUT",
        A + "/details",
        am.ReviseAmendmentDetails,
        _ACT.AUTHOR_AMENDMENT,
        _amendment,
        "Revise the M11 amendment details",
    ),
    CommandRoute(
        "propose_section_change",
        "POST",
        A + "/changes",
        am.ProposeSectionChange,
        _ACT.AUTHOR_AMENDMENT,
        _amendment,
        "Propose (or replace) this amendment's change to a section",
        created=True,
    ),
    CommandRoute(
        "retract_section_change",
        "DELETE",
        A + "/changes/{number}",
        am.RetractSectionChange,
        _ACT.AUTHOR_AMENDMENT,
        _amendment,
        "Retract this amendment's change to a section",
    ),
    CommandRoute(
        "submit_amendment",
        "POST",
        A + "/submission",
        am.SubmitAmendment,
        _ACT.AUTHOR_AMENDMENT,
        _amendment,
        "Submit the amendment for review",
    ),
    CommandRoute(
        "comment_on_review",
        "POST",
        A + "/review-comments",
        am.CommentOnReview,
        _ACT.REVIEW_AMENDMENT,
        _amendment,
        "Comment on the amendment under review",
        created=True,
    ),
    CommandRoute(
        "sign_amendment",
        "POST",
        A + "/signatures",
        am.SignAmendment,
        _ACT.SIGN_AMENDMENT,
        _amendment,
        "Sign the content you reviewed (password again, stated meaning)",
        _SIGNED,
        created=True,
    ),
    CommandRoute(
        "record_ethics_approval",
        "POST",
        A + "/ethics-approval",
        am.RecordEthicsApproval,
        _ACT.SIGN_AMENDMENT,
        _amendment,
        "Record the ethics committee's approval with its vote and minutes",
        _SIGNED,
        created=True,
    ),
    CommandRoute(
        "reject_amendment",
        "POST",
        A + "/rejection",
        am.RejectAmendment,
        _ACT.REJECT_AMENDMENT,
        _amendment,
        "Reject the amendment, with a reason",
    ),
    CommandRoute(
        "withdraw_amendment",
        "POST",
        A + "/withdrawal",
        am.WithdrawAmendment,
        _ACT.AUTHOR_AMENDMENT,
        _amendment,
        "Withdraw the amendment, with a reason",
    ),
    CommandRoute(
        "rebase_amendment",
        "POST",
        A + "/rebase",
        am.RebaseAmendment,
        _ACT.AUTHOR_AMENDMENT,
        _amendment,
        "Resolve the sections in conflict onto the current version",
    ),
    CommandRoute(
        "merge_amendment",
        "POST",
        A + "/merge",
        MergeAmendment,
        _ACT.MERGE_AMENDMENT,
        _amendment,
        "Merge the approved amendment into a new protocol version",
    ),
    # -- motions
    CommandRoute(
        "table_motion",
        "POST",
        T + "/motions",
        mo.TableMotion,
        _ACT.TABLE_MOTION,
        _motion,
        "Table a motion for a vote",
        {"motion_id": _ID, "tabled_at": _NOW},
        created=True,
    ),
    CommandRoute(
        "cast_vote",
        "POST",
        M + "/votes",
        mo.CastVote,
        _ACT.VOTE,
        _motion,
        "Cast your vote",
        {"cast_at": _NOW},
        created=True,
    ),
    CommandRoute(
        "recuse_from_motion",
        "POST",
        M + "/recusals",
        mo.RecuseFromMotion,
        _ACT.VOTE,
        _motion,
        "Recuse yourself, with a reason",
        {"recused_at": _NOW},
        created=True,
    ),
    CommandRoute(
        "close_motion",
        "POST",
        M + "/closure",
        mo.CloseMotion,
        _ACT.TABLE_MOTION,
        _motion,
        "Close the motion and count the votes",
        {"as_of": _NOW},
    ),
    # -- disputes
    CommandRoute(
        "raise_dispute",
        "POST",
        T + "/disputes",
        dp.RaiseDispute,
        _ACT.RAISE_DISPUTE,
        _dispute,
        "Raise a dispute about an amendment, a section or a decision",
        {"dispute_id": _ID},
        created=True,
    ),
    CommandRoute(
        "escalate_dispute",
        "POST",
        D + "/escalation",
        dp.EscalateDispute,
        _ACT.HANDLE_DISPUTE,
        _dispute,
        "Escalate to the next level of the ladder",
    ),
    CommandRoute(
        "resolve_dispute",
        "POST",
        D + "/resolution",
        dp.ResolveDispute,
        _ACT.HANDLE_DISPUTE,
        _dispute,
        "Resolve the dispute with a rationale",
    ),
    # -- comments
    CommandRoute(
        "post_comment",
        "POST",
        C,
        en.PostComment,
        _ACT.COMMENT,
        _thread,
        "Comment on a section or an amendment (or reply to a comment)",
        {"comment_id": _ID},
        created=True,
    ),
    CommandRoute(
        "disposition_feedback",
        "POST",
        C + "/{comment_id}/disposition",
        en.DispositionFeedback,
        _ACT.DISPOSITION_FEEDBACK,
        _thread,
        "Say what became of a patient advocate's comment, with a reason",
    ),
)
"""Every command route; ``tests`` walk it against the running app."""
