"""The rules a command can break.

Every refusal is a :class:`DomainError`. Its class names the rule and its message says
how the command broke it, in words a user understands. The first line of each class's
docstring is its ``title`` (the problem+json title the server shows); the five families
below tell the server which kind of problem it is:

- :class:`NotFound`: the command names something the trial does not have;
- :class:`AlreadyExists`: it would create or record something a second time;
- :class:`InvalidCommand`: its content is malformed or incomplete;
- :class:`NotPermitted`: governance does not let this actor do it;
- :class:`WrongState`: it is not allowed in the current state (order, staleness).
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the trial's governance was broken."""

    @classmethod
    def title(cls) -> str:
        """Short, stable summary of the rule: the first line of the class docstring."""
        return (cls.__doc__ or cls.__name__).strip().splitlines()[0].rstrip(".")


class NotFound(DomainError):
    """The command names something the trial does not have."""


class AlreadyExists(DomainError):
    """The command would create or record something a second time."""


class InvalidCommand(DomainError):
    """The command is malformed or incomplete."""


class NotPermitted(DomainError):
    """Governance does not let this actor do this."""


class WrongState(DomainError):
    """The command is not allowed in the current state."""


def require_text(value: str, what: str) -> None:
    """Refuse an empty or blank required text; ``what`` says which one, for the message."""
    if not value.strip():
        raise RequiredTextMissing(f"{what} is required")


# -- common -----------------------------------------------------------------------------


class RequiredTextMissing(InvalidCommand):
    """A required text (reason, rationale, explanation) is missing."""


class TimestampWithoutZone(InvalidCommand):
    """A time was given without a time zone."""


class SeparationOfDuties(NotPermitted):
    """Separation of duties forbids one person holding both parts."""


# -- trial workspace --------------------------------------------------------------------


class TrialNotFound(NotFound):
    """The trial does not exist."""


class TrialAlreadyExists(AlreadyExists):
    """The trial already exists."""


class OrganizationNotFound(NotFound):
    """The organization is not admitted to the trial."""


class OrganizationAlreadyAdmitted(AlreadyExists):
    """The organization is already admitted to the trial."""


class MemberNotFound(NotFound):
    """The person is not a member of the trial."""


class MemberAlreadyAdded(AlreadyExists):
    """The person is already a member of the trial."""


class InvitationNotFound(NotFound):
    """The trial has no such invitation."""


class InvitationAlreadyExists(AlreadyExists):
    """An invitation with this id already exists."""


class InvitationAlreadyPending(AlreadyExists):
    """This username already has a pending invitation to the trial."""


class InvalidUsername(InvalidCommand):
    """No account can have this username."""


class NotTheInvitee(NotPermitted):
    """Only the person invited can answer an invitation."""


class InvitationNotPending(WrongState):
    """The invitation was already answered or withdrawn."""


class RoleNotOpenToOrganization(NotPermitted):
    """The charter does not open this role to members of this kind of organization."""


class TrainingNotAttested(NotPermitted):
    """The role needs training that has not been attested."""


class TrainingDateInFuture(InvalidCommand):
    """A training completion date lies in the future."""


class SelfAttestedTraining(NotPermitted):
    """Training is attested by someone other than the person trained."""


class AttesterMismatch(InvalidCommand):
    """A training record names someone other than the actor as its attester."""


class TrainingAttestationNotFound(NotFound):
    """The member has no attested training in this course."""


class TrainingStillRequired(WrongState):
    """A role the member holds requires this training."""


class RoleAlreadyHeld(AlreadyExists):
    """The member already holds the role."""


class RoleNotHeld(WrongState):
    """The member does not hold the role."""


class LastTrialAdmin(WrongState):
    """The trial would be left without a trial admin."""


class InvalidCharter(InvalidCommand):
    """The governance charter is inconsistent."""


# -- protocol ---------------------------------------------------------------------------


class ProtocolNotDrafted(NotFound):
    """The trial has no protocol yet."""


class ProtocolAlreadyDrafted(AlreadyExists):
    """The trial's protocol is already drafted."""


class ProtocolNotPublished(WrongState):
    """The protocol has no published version yet."""


class ProtocolUnderChangeControl(WrongState):
    """Once published, the protocol changes only through amendments."""


class InvalidSectionNumber(InvalidCommand):
    """The section number is not a valid M11 section number."""


class SectionNotFound(NotFound):
    """The protocol has no such section."""


class SectionAlreadyExists(AlreadyExists):
    """The protocol already has this section."""


class FixedHeadingChanged(NotPermitted):
    """M11 level-1 and level-2 headings cannot be renamed."""


class FixedSectionRemoved(NotPermitted):
    """M11 level-1 and level-2 sections cannot be removed."""


class FixedSectionAdded(NotPermitted):
    """Only level-3 and deeper subsections can be added to the M11 outline."""


class SectionHasSubsections(WrongState):
    """A section with subsections cannot be removed."""


class RevisionNotFound(NotFound):
    """The section has no such revision."""


class SectionUnchanged(InvalidCommand):
    """The revision changes nothing."""


class RevisionReasonMissing(RequiredTextMissing):
    """A revision states no reason for the change.

    EU GMP Annex 11 §9: a change to a record says why it was made; the reason is kept
    with the revision and shown in the audit trail."""


class EditConflictNotFound(NotFound):
    """No such open edit conflict."""


class StaleRevision(WrongState):
    """The section changed since the revision the command was based on."""


class EditConflictsOpen(WrongState):
    """Open edit conflicts must be resolved first."""


class SharedTextNotStarted(WrongState):
    """The section's shared text has not been started."""


class SharedTextAlreadyStarted(WrongState):
    """The section's shared text was started already."""


class MalformedUpdate(InvalidCommand):
    """The update is not a shared-text update this server can read."""


class SharedTextOvertaken(WrongState):
    """The section was revised outside its shared text, on the same lines."""


# -- amendment --------------------------------------------------------------------------


class AmendmentNotFound(NotFound):
    """The amendment does not exist."""


class AmendmentAlreadyOpened(AlreadyExists):
    """The amendment already exists."""


class InvalidAmendmentDetails(InvalidCommand):
    """The M11 amendment details are incomplete or inconsistent."""


class StaleBaseVersion(WrongState):
    """An amendment must start from the current protocol version."""


class WrongAmendmentStatus(WrongState):
    """The amendment's status does not allow this."""


class ProposedChangeNotFound(NotFound):
    """The amendment proposes no change to this section."""


class AmendmentUnchanged(InvalidCommand):
    """The command leaves the amendment's content as it was."""


class AmendmentHasNoChanges(WrongState):
    """The amendment proposes no section change."""


class AmendmentInConflict(WrongState):
    """Another amendment changed the same sections first; rebase this one."""


class AmendmentUpToDate(WrongState):
    """The amendment is already based on the current protocol version."""


class RebaseResolutionInvalid(InvalidCommand):
    """The rebase does not resolve exactly the sections in conflict."""


class ReauthenticationRequired(NotPermitted):
    """Signing needs the signer to re-enter their password."""


class StaleContentHash(WrongState):
    """The amendment changed since the signer saw it."""


class AmendmentDisputed(WrongState):
    """An open dispute on the amendment blocks this."""


class NotAnAuthor(NotPermitted):
    """Only an author of the amendment can do this."""


class NotASignatory(NotPermitted):
    """The charter does not name this person's roles for this signature."""


class CommitteeVoteRequired(NotPermitted):
    """Ethics approval is recorded with the committee's vote, not a plain signature."""


class CommitteeVoteNotCarried(InvalidCommand):
    """The committee's vote did not carry the approval."""


class CommitteeVoteNotQuorate(InvalidCommand):
    """Too few committee members were present for the vote to count.

    The charter's ethics committee quorum is a share of the committee's membership; the
    members present are those who voted in favour, against or abstained (a recused member
    is not present and is not counted)."""


class CommitteeVoteExceedsMembership(InvalidCommand):
    """The committee's vote counts more members than the committee has."""


class EthicsMeetingBeforeSubmission(InvalidCommand):
    """The committee cannot have approved the amendment before it was submitted."""


class EthicsMeetingInFuture(InvalidCommand):
    """The committee's meeting date lies in the future."""


class AlreadySigned(AlreadyExists):
    """The person already signed this content with this meaning."""


class NotEntitledToWithdraw(NotPermitted):
    """Only the amendment's author or the sponsor can withdraw it."""


class SignaturesMissing(WrongState):
    """Required signatures on the current content are missing."""


class FeedbackAwaitingDisposition(WrongState):
    """Patient advocate comments on the amendment await a disposition."""


class EffectiveDateTooEarly(InvalidCommand):
    """A new protocol version cannot take effect before the current one."""


# -- decisions --------------------------------------------------------------------------


class MotionNotFound(NotFound):
    """The motion does not exist."""


class MotionAlreadyTabled(AlreadyExists):
    """The motion already exists."""


class InvalidMotion(InvalidCommand):
    """The motion's options, voters or deadline are invalid."""


class UnknownQuorumRule(InvalidCommand):
    """The charter has no quorum rule by this name."""


class NotAnEligibleVoter(NotPermitted):
    """The person is not an eligible voter on the motion."""


class VoterIsRecused(WrongState):
    """The voter recused themself from the motion."""


class AlreadyVoted(AlreadyExists):
    """The voter has already voted on the motion."""


class UnknownOption(InvalidCommand):
    """The motion has no such option."""


class VotingClosed(WrongState):
    """Voting on the motion is closed."""


class VotingStillOpen(WrongState):
    """The motion's deadline has not passed and votes are outstanding."""


# -- disputes ---------------------------------------------------------------------------


class DisputeNotFound(NotFound):
    """The dispute does not exist."""


class DisputeAlreadyRaised(AlreadyExists):
    """The dispute already exists."""


class DisputeClosed(WrongState):
    """The dispute is already resolved."""


class EscalationLadderExhausted(WrongState):
    """The dispute is at the top of the charter's escalation ladder."""


class NotEntitledToResolve(NotPermitted):
    """The charter does not let this person resolve disputes at this level."""


# -- engagement -------------------------------------------------------------------------


class CommentNotFound(NotFound):
    """The comment does not exist."""


class CommentAlreadyPosted(AlreadyExists):
    """A comment with this id already exists."""


class AlreadyDispositioned(AlreadyExists):
    """The comment already has a disposition."""


# -- references and conflicts of interest -----------------------------------------------


class SubjectNotFound(NotFound):
    """The record referred to does not exist."""


class ConflictOfInterest(NotPermitted):
    """Nobody settles a dispute about their own work."""


class SubstantialModificationPending(WrongState):
    """Another substantial modification is under evaluation."""


# -- erasing a person's personal data ---------------------------------------------------


class ErasureAlreadyRequested(AlreadyExists):
    """An erasure of this person's personal data is already awaiting approval."""


class NoPendingErasure(WrongState):
    """No erasure of this person's personal data awaits approval."""


class TrialNotConcerned(WrongState):
    """The erasure request does not ask this trial for approval."""


class ErasureAlreadyApproved(AlreadyExists):
    """This trial already approved the erasure."""


class ErasureRequesterCannotApprove(SeparationOfDuties):
    """Whoever requested an erasure does not approve it."""


class ErasedPersonCannotApprove(SeparationOfDuties):
    """Nobody approves the erasure of their own personal data."""


class NotAnErasureApprover(NotPermitted):
    """Only a holder of a role the charter names approves an erasure."""

    def __init__(self, message: str, *, trial_id: str | None, roles: tuple[str, ...]) -> None:
        super().__init__(message)
        self.trial_id = trial_id
        """The trial whose approval was asked (None: the second system admin's)."""
        self.roles = roles
        """The roles that would do: the trial charter's ``erasure_approvers``."""


# -- investigator sites: approvals and activation ---------------------------------------


class SiteNotFound(NotFound):
    """The investigator site is not admitted to the trial."""


class ProtocolVersionNotFound(NotFound):
    """The protocol has no such published version."""


class SiteNotOverseen(WrongState):
    """The charter names no ethics committee for the site."""


class SiteApprovalNotRequired(WrongState):
    """The charter asks no such approval for the site."""


class NotSiteApprover(NotPermitted):
    """Only a reviewer of the body the charter names for the site records its approval."""


class SiteApprovalInFuture(InvalidCommand):
    """A site approval cannot be dated in the future."""


class SiteApprovalAlreadyRecorded(AlreadyExists):
    """This body's approval of the version for the site is already recorded."""


class NotSiteActivator(NotPermitted):
    """Only the site's investigator or the sponsor's lead activates a site."""


class SiteApprovalMissing(WrongState):
    """A site is activated only on a version its approvers have approved."""


class SiteVersionNotNewer(WrongState):
    """A site moves only to a version later than the one in force there."""
