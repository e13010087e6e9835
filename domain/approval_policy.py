"""Who must sign an amendment, and whether the signatures given are enough.

From the charter's approval rules: the sponsor always approves; the ethics committee
approves a substantial amendment, with its vote on record; a patient advocate reviews a
change to a participant-facing section. Each requirement needs its own signer, on the
amendment's current content hash, and no author's signature counts (separation of
duties).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

from domain import m11
from domain.amendment_details import AmendmentDetails
from domain.charter import Charter, Signatories
from domain.roles import OrganizationKind, Role


class SignatureMeaning(StrEnum):
    """What the signer states by signing (21 CFR 11.50: the meaning of the signature)."""

    AUTHORSHIP = "authorship"
    REVIEW = "review"
    APPROVAL = "approval"
    RESPONSIBILITY = "responsibility"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitteeVote:
    """The ethics committee's vote on an amendment, as minuted."""

    meeting_date: str
    in_favour: int
    against: int
    abstaining: int
    minutes_reference: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """A signature bound to the content hash the signer saw.

    ``roles`` and ``organization_kind`` are the signer's at the time of signing, so the
    signature can be judged later without the workspace's history.
    """

    signer_id: str
    printed_name: str
    meaning: SignatureMeaning
    content_hash: str
    signed_at: str
    roles: frozenset[Role]
    organization_kind: OrganizationKind
    committee_vote: CommitteeVote | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement:
    """A signature an amendment needs before it can merge."""

    name: str
    meaning: SignatureMeaning
    signatories: Signatories
    needs_committee_vote: bool = False

    def is_met_by(self, signature: Signature, content_hash: str) -> bool:
        """True when ``signature`` fulfils this requirement for ``content_hash``."""
        return (
            signature.meaning is self.meaning
            and signature.content_hash == content_hash
            and self.signatories.admit(signature.roles, signature.organization_kind)
            and (signature.committee_vote is not None or not self.needs_committee_vote)
        )


SPONSOR_APPROVAL = "sponsor approval"
ETHICS_APPROVAL = "ethics committee approval"
PARTICIPANT_REVIEW = "patient advocate review"


def touches_participant_facing(charter: Charter, sections: Iterable[str]) -> bool:
    """True when any of ``sections`` is, or is within, a participant-facing section."""
    facing = charter.approval.participant_facing_sections
    return any(m11.is_within(number, facing) for number in sections)


def required_signatures(
    charter: Charter, details: AmendmentDetails, sections: Iterable[str]
) -> tuple[Requirement, ...]:
    """The signatures an amendment with ``details`` changing ``sections`` needs."""
    rules = charter.approval
    required = [
        Requirement(
            name=SPONSOR_APPROVAL,
            meaning=SignatureMeaning.APPROVAL,
            signatories=rules.sponsor_approval,
        )
    ]
    if details.is_substantial:
        required.append(
            Requirement(
                name=ETHICS_APPROVAL,
                meaning=SignatureMeaning.APPROVAL,
                signatories=rules.ethics_approval,
                needs_committee_vote=True,
            )
        )
    if touches_participant_facing(charter, sections):
        required.append(
            Requirement(
                name=PARTICIPANT_REVIEW,
                meaning=SignatureMeaning.REVIEW,
                signatories=rules.participant_review,
            )
        )
    return tuple(required)


def missing_signatures(
    required: tuple[Requirement, ...],
    signatures: Iterable[Signature],
    content_hash: str,
    authors: frozenset[str],
) -> tuple[Requirement, ...]:
    """The requirements that ``signatures`` leave unmet for ``content_hash``.

    Every requirement needs a different signer, and authors' signatures never count.
    When some requirements cannot all be met at once, the ones reported missing are
    those left over by the largest set that can.
    """
    eligible = tuple(s for s in signatures if s.signer_id not in authors)
    for size in range(len(required), 0, -1):
        for met in combinations(required, size):
            if _assignable(met, eligible, content_hash, frozenset()):
                return tuple(r for r in required if r not in met)
    return required


def _assignable(
    required: tuple[Requirement, ...],
    signatures: tuple[Signature, ...],
    content_hash: str,
    used_signers: frozenset[str],
) -> bool:
    """True when each requirement can get its own signer among ``signatures``."""
    if not required:
        return True
    first, rest = required[0], required[1:]
    return any(
        signature.signer_id not in used_signers
        and first.is_met_by(signature, content_hash)
        and _assignable(rest, signatures, content_hash, used_signers | {signature.signer_id})
        for signature in signatures
    )


def describe(requirements: Iterable[Requirement]) -> str:
    """The requirements as words for a message, e.g. "sponsor approval (sponsor_lead)"."""
    return ", ".join(
        f"{r.name} ({' or '.join(sorted(role.value for role in r.signatories.roles))})"
        for r in requirements
    )
