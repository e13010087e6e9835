"""Every domain command as an HTTP route, in one table (see :mod:`server.http.command_fields`
for what a route states). The OpenAPI document, validation, dispatch and the
authorization walk in the tests all read this table."""

from __future__ import annotations

from domain import amendment as am
from domain import dispute as dp
from domain import engagement as en
from domain import motion as mo
from domain import protocol as pr
from domain import shared_text as st
from domain import sites as si
from domain import workspace as ws
from domain.merging import MergeAmendment
from rbac import Action
from server.http.command_fields import CommandRoute, Source
from server.http.targets import (
    amendment_target,
    amendment_text_target,
    dispute_target,
    motion_target,
    protocol_target,
    shared_text_target,
    site_target,
    thread_target,
    trial_target,
)

T = "/api/trials/{trial_id}"
A = T + "/amendments/{amendment_id}"
M = T + "/motions/{motion_id}"
D = T + "/disputes/{dispute_id}"
C = T + "/comments/{subject_kind}/{subject_id}"
SI = T + "/sites/{site_id}"
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
        trial_target,
        "Admit an organization to the trial",
        created=True,
    ),
    CommandRoute(
        "invite_member",
        "POST",
        T + "/invitations",
        ws.InviteMember,
        _ACT.ADMINISTER,
        trial_target,
        "Invite a person (by username) to join for an admitted organization; they become"
        " a member when they accept",
        {"invitation_id": _ID, "invited_at": _NOW},
        created=True,
    ),
    CommandRoute(
        "withdraw_invitation",
        "POST",
        T + "/invitations/{invitation_id}/withdrawal",
        ws.WithdrawInvitation,
        _ACT.ADMINISTER,
        trial_target,
        "Withdraw a pending invitation (an optional reason says why)",
    ),
    CommandRoute(
        "attest_training",
        "POST",
        T + "/members/{user_id}/training",
        ws.AttestTraining,
        _ACT.ADMINISTER,
        trial_target,
        "Attest a member's completed training (not your own; no date in the future)",
        {"attested_at": _NOW},
    ),
    CommandRoute(
        "withdraw_training",
        "POST",
        T + "/members/{user_id}/training-withdrawals",
        ws.WithdrawTraining,
        _ACT.ADMINISTER,
        trial_target,
        "Withdraw a mistaken training attestation, with a reason (revoke the roles that"
        " need the course first)",
    ),
    CommandRoute(
        "grant_role",
        "POST",
        T + "/members/{user_id}/roles",
        ws.GrantRole,
        _ACT.ADMINISTER,
        trial_target,
        "Grant a governance role, with a reason",
    ),
    CommandRoute(
        "revoke_role",
        "POST",
        T + "/members/{user_id}/role-revocations",
        ws.RevokeRole,
        _ACT.ADMINISTER,
        trial_target,
        "Revoke a governance role, with a reason",
    ),
    CommandRoute(
        "amend_charter",
        "PUT",
        T + "/charter",
        ws.AmendCharter,
        _ACT.ADMINISTER,
        trial_target,
        "Replace the governance charter, with a reason",
    ),
    # -- protocol
    CommandRoute(
        "draft_protocol",
        "POST",
        T + "/protocol",
        pr.DraftProtocol,
        _ACT.EDIT_PROTOCOL,
        protocol_target,
        "Start the protocol from the M11 outline",
        created=True,
    ),
    CommandRoute(
        "revise_section",
        "PUT",
        T + "/protocol/sections/{number}",
        pr.ReviseSection,
        _ACT.EDIT_PROTOCOL,
        protocol_target,
        "Revise a section's text (merged three ways when the base is older)",
    ),
    CommandRoute(
        "edit_shared_text",
        "POST",
        T + "/protocol/sections/{number}/text/updates",
        st.EditSharedText,
        _ACT.EDIT_PROTOCOL,
        shared_text_target,
        "Send what you typed in a section's shared text: one Yjs update (v1 encoding,"
        " base64), recorded before anyone else sees it (see docs/coediting.md)",
    ),
    CommandRoute(
        "add_section",
        "POST",
        T + "/protocol/sections",
        pr.AddSection,
        _ACT.EDIT_PROTOCOL,
        protocol_target,
        "Add a subsection below level 2",
        created=True,
    ),
    CommandRoute(
        "remove_section",
        "DELETE",
        T + "/protocol/sections/{number}",
        pr.RemoveSection,
        _ACT.EDIT_PROTOCOL,
        protocol_target,
        "Remove a subsection below level 2",
    ),
    CommandRoute(
        "resolve_edit_conflict",
        "POST",
        T + "/protocol/conflicts/{conflict_number}/resolution",
        pr.ResolveEditConflict,
        _ACT.EDIT_PROTOCOL,
        protocol_target,
        "Resolve an edit conflict with the agreed text",
    ),
    CommandRoute(
        "publish_protocol",
        "POST",
        T + "/protocol/versions",
        pr.PublishProtocol,
        _ACT.PUBLISH_PROTOCOL,
        protocol_target,
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
        amendment_target,
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
        amendment_target,
        "Revise the M11 amendment details",
    ),
    CommandRoute(
        "propose_section_change",
        "POST",
        A + "/changes",
        am.ProposeSectionChange,
        _ACT.AUTHOR_AMENDMENT,
        amendment_target,
        "Propose (or replace) this amendment's change to a section",
        created=True,
    ),
    CommandRoute(
        "edit_amendment_text",
        "POST",
        A + "/texts/{number}/updates",
        st.EditSharedText,
        _ACT.AUTHOR_AMENDMENT,
        amendment_text_target,
        "Send what you typed in the shared text of this amendment's change to a section:"
        " one Yjs update (v1 encoding, base64), recorded before anyone else sees it",
    ),
    CommandRoute(
        "retract_section_change",
        "DELETE",
        A + "/changes/{number}",
        am.RetractSectionChange,
        _ACT.AUTHOR_AMENDMENT,
        amendment_target,
        "Retract this amendment's change to a section",
    ),
    CommandRoute(
        "submit_amendment",
        "POST",
        A + "/submission",
        am.SubmitAmendment,
        _ACT.AUTHOR_AMENDMENT,
        amendment_target,
        "Submit the amendment for review",
        {"submitted_at": _NOW},
    ),
    CommandRoute(
        "comment_on_review",
        "POST",
        A + "/review-comments",
        am.CommentOnReview,
        _ACT.REVIEW_AMENDMENT,
        amendment_target,
        "Comment on the amendment under review",
        created=True,
    ),
    CommandRoute(
        "sign_amendment",
        "POST",
        A + "/signatures",
        am.SignAmendment,
        _ACT.SIGN_AMENDMENT,
        amendment_target,
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
        amendment_target,
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
        amendment_target,
        "Reject the amendment, with a reason",
    ),
    CommandRoute(
        "withdraw_amendment",
        "POST",
        A + "/withdrawal",
        am.WithdrawAmendment,
        _ACT.AUTHOR_AMENDMENT,
        amendment_target,
        "Withdraw the amendment, with a reason",
    ),
    CommandRoute(
        "rebase_amendment",
        "POST",
        A + "/rebase",
        am.RebaseAmendment,
        _ACT.AUTHOR_AMENDMENT,
        amendment_target,
        "Resolve the sections in conflict onto the current version",
    ),
    CommandRoute(
        "merge_amendment",
        "POST",
        A + "/merge",
        MergeAmendment,
        _ACT.MERGE_AMENDMENT,
        amendment_target,
        "Merge the approved amendment into a new protocol version",
    ),
    # -- investigator sites
    CommandRoute(
        "record_site_approval",
        "POST",
        SI + "/approvals",
        si.RecordSiteApproval,
        _ACT.APPROVE_FOR_SITE,
        site_target,
        "Record the approval of a published protocol version for an investigator site by"
        " the ethics committee (or regulator) the charter names for it: its date and"
        " reference; an ethics reviewer of that organization records it",
        {"recorded_at": _NOW},
        created=True,
    ),
    CommandRoute(
        "activate_site",
        "POST",
        SI + "/activations",
        si.ActivateSite,
        _ACT.ACTIVATE_SITE,
        site_target,
        "Put a published protocol version in force at an investigator site, once every"
        " approval the charter names for the site is recorded (the site's investigator or"
        " the sponsor's lead)",
        {"activated_at": _NOW},
        created=True,
    ),
    # -- motions
    CommandRoute(
        "table_motion",
        "POST",
        T + "/motions",
        mo.TableMotion,
        _ACT.TABLE_MOTION,
        motion_target,
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
        motion_target,
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
        motion_target,
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
        motion_target,
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
        dispute_target,
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
        dispute_target,
        "Escalate to the next level of the ladder",
    ),
    CommandRoute(
        "resolve_dispute",
        "POST",
        D + "/resolution",
        dp.ResolveDispute,
        _ACT.HANDLE_DISPUTE,
        dispute_target,
        "Resolve the dispute with a rationale",
    ),
    # -- comments
    CommandRoute(
        "post_comment",
        "POST",
        C,
        en.PostComment,
        _ACT.COMMENT,
        thread_target,
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
        thread_target,
        "Say what became of a patient advocate's comment, with a reason",
    ),
)
"""Every command route; ``tests`` walk it against the running app."""
