"""What a request may attempt in a trial, and the one table of which role may attempt what;
likewise outside any trial, for the system roles (:class:`SystemAction`,
:data:`SYSTEM_PERMISSIONS`).

The table is the same in every trial: it becomes the Casbin policy lines written once with
a domain wildcard (``rbac.model``). It says who may *attempt* an action; the trial's
charter, enforced by the domain, narrows further (whose signature counts toward approval,
who resolves a dispute at each level of the ladder, that an author cannot sign their own
amendment). The server authorizes the attempt here, then lets the domain decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from domain.account_events import SystemRole
from domain.roles import Role


class Action(StrEnum):
    """What a request may attempt in a trial. Values are stable identifiers in the policy."""

    READ = "trial:read"
    """See the workspace, protocol, amendments, comments."""
    AUDIT = "audit:read"
    """Replay history, see who could do what, diff, read audit trails."""
    EXPORT = "audit:export"
    """Export the trial's log, audit trail and audit report."""
    ADMINISTER = "workspace:administer"
    """Admit organizations, add members, attest training, grant and revoke roles, amend the
    charter."""
    EDIT_PROTOCOL = "protocol:edit"
    """Draft the protocol, revise, add and remove sections, resolve edit conflicts."""
    PUBLISH_PROTOCOL = "protocol:publish"
    """Publish a protocol version."""
    AUTHOR_AMENDMENT = "amendment:author"
    """Open, revise details, propose and retract changes, submit, withdraw, rebase."""
    REVIEW_AMENDMENT = "amendment:review"
    """Post review comments."""
    SIGN_AMENDMENT = "amendment:sign"
    """Sign; record ethics approval."""
    REJECT_AMENDMENT = "amendment:reject"
    """Reject an amendment."""
    MERGE_AMENDMENT = "amendment:merge"
    """Merge an approved amendment into a new protocol version."""
    TABLE_MOTION = "motion:table"
    """Table and close motions."""
    VOTE = "motion:vote"
    """Vote, recuse."""
    RAISE_DISPUTE = "dispute:raise"
    """Raise a dispute."""
    HANDLE_DISPUTE = "dispute:handle"
    """Escalate, resolve."""
    COMMENT = "comment:post"
    """Comment on a section or an amendment, reply."""
    DISPOSITION_FEEDBACK = "feedback:disposition"
    """Say what became of a patient advocate's comment."""
    APPROVE_FOR_SITE = "site:approve"
    """Record an ethics committee's or a regulator's approval of a protocol version for an
    investigator site (the charter's site oversight says whose counts)."""
    ACTIVATE_SITE = "site:activate"
    """Put an approved protocol version in force at an investigator site (its own
    investigator or the sponsor's lead, the domain decides)."""


_A = Action

PERMISSIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        Role.TRIAL_ADMIN: frozenset({
            _A.READ, _A.AUDIT, _A.EXPORT, _A.ADMINISTER, _A.MERGE_AMENDMENT, _A.TABLE_MOTION,
            _A.VOTE, _A.RAISE_DISPUTE, _A.HANDLE_DISPUTE, _A.COMMENT, _A.DISPOSITION_FEEDBACK,
            _A.REVIEW_AMENDMENT,
        }),
        Role.SPONSOR_LEAD: frozenset({
            _A.READ, _A.AUDIT, _A.EDIT_PROTOCOL, _A.PUBLISH_PROTOCOL, _A.AUTHOR_AMENDMENT,
            _A.REVIEW_AMENDMENT, _A.SIGN_AMENDMENT, _A.REJECT_AMENDMENT, _A.MERGE_AMENDMENT,
            _A.TABLE_MOTION, _A.VOTE, _A.RAISE_DISPUTE, _A.HANDLE_DISPUTE, _A.COMMENT,
            _A.DISPOSITION_FEEDBACK, _A.ACTIVATE_SITE,
        }),
        Role.SPONSOR_MEMBER: frozenset({
            _A.READ, _A.EDIT_PROTOCOL, _A.AUTHOR_AMENDMENT, _A.REVIEW_AMENDMENT,
            _A.SIGN_AMENDMENT, _A.VOTE, _A.RAISE_DISPUTE, _A.COMMENT, _A.DISPOSITION_FEEDBACK,
        }),
        Role.INVESTIGATOR: frozenset({
            _A.READ, _A.EDIT_PROTOCOL, _A.AUTHOR_AMENDMENT, _A.REVIEW_AMENDMENT,
            _A.SIGN_AMENDMENT, _A.VOTE, _A.RAISE_DISPUTE, _A.HANDLE_DISPUTE, _A.COMMENT,
            _A.DISPOSITION_FEEDBACK, _A.ACTIVATE_SITE,
        }),
        Role.SITE_STAFF: frozenset({
            _A.READ, _A.EDIT_PROTOCOL, _A.REVIEW_AMENDMENT, _A.VOTE, _A.RAISE_DISPUTE,
            _A.COMMENT,
        }),
        Role.PATIENT_ADVOCATE: frozenset({
            _A.READ, _A.REVIEW_AMENDMENT, _A.SIGN_AMENDMENT, _A.VOTE, _A.RAISE_DISPUTE,
            _A.COMMENT,
        }),
        Role.ETHICS_REVIEWER: frozenset({
            _A.READ, _A.AUDIT, _A.EXPORT, _A.REVIEW_AMENDMENT, _A.SIGN_AMENDMENT,
            _A.REJECT_AMENDMENT,
            _A.VOTE, _A.RAISE_DISPUTE, _A.HANDLE_DISPUTE, _A.COMMENT, _A.APPROVE_FOR_SITE,
        }),
        Role.AUDITOR: frozenset({_A.READ, _A.AUDIT, _A.EXPORT}),
    }
)  # fmt: skip
"""Role -> the actions its holders may attempt in a trial where they hold it."""


SYSTEM_DOMAIN = "@system"
"""The Casbin domain of the system roles. A trial id starts with a letter or a digit
(``server.http.identifiers.ID_PATTERN``), so no trial can ever be this domain."""


class SystemAction(StrEnum):
    """What a request may attempt outside any trial. Values are stable identifiers in the
    policy, distinct from every :class:`Action`."""

    FOUND_TRIAL = "system:found-trial"
    """Found a trial (and so become its first trial admin)."""
    ADMINISTER_ACCOUNTS = "system:administer-accounts"
    """Create, disable and enable accounts, reset passwords, grant and revoke system
    roles, attest and withdraw system-level training."""
    READ_ACCOUNT_TRAILS = "system:read-account-trails"
    """Read any account's trail (everything that happened to it)."""


_S = SystemAction

SYSTEM_PERMISSIONS: Mapping[SystemRole, frozenset[SystemAction]] = MappingProxyType(
    {
        SystemRole.SYSTEM_ADMIN: frozenset({_S.ADMINISTER_ACCOUNTS, _S.READ_ACCOUNT_TRAILS}),
        SystemRole.TRIAL_CREATOR: frozenset({_S.FOUND_TRIAL}),
        SystemRole.ACCOUNT_AUDITOR: frozenset({_S.READ_ACCOUNT_TRAILS}),
    }
)
"""System role -> the actions its holders may attempt (in :data:`SYSTEM_DOMAIN` only)."""
