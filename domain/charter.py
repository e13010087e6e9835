"""The governance charter: the rules a trial sets itself, and the default every trial gets.

A charter says who must sign an amendment (approval rules), how motions are decided
(quorum rules), who settles a dispute at each level (the escalation ladder), and which
organizations and training each role needs. Shares are integer fractions, compared
exactly, because the log holds no floats.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain import m11
from domain.errors import InvalidCharter
from domain.frozen import frozen_map
from domain.roles import OrganizationKind, Role


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """A share of a whole: "at least" (inclusive) or "more than" numerator/denominator."""

    numerator: int
    denominator: int
    inclusive: bool = True

    def is_met(self, part: int, whole: int) -> bool:
        """True when ``part`` out of ``whole`` reaches the share."""
        scaled, needed = part * self.denominator, self.numerator * whole
        return scaled >= needed if self.inclusive else scaled > needed

    def smallest_part(self, whole: int) -> int:
        """The smallest part of ``whole`` that reaches the share."""
        quotient, remainder = divmod(self.numerator * whole, self.denominator)
        if self.inclusive:
            return quotient + (1 if remainder else 0)
        return quotient + 1

    def __str__(self) -> str:
        kind = "at least" if self.inclusive else "more than"
        return f"{kind} {self.numerator}/{self.denominator}"


@dataclass(frozen=True, slots=True, kw_only=True)
class QuorumRule:
    """How a motion is decided.

    ``participation`` is the share of the eligible voters who must vote for the motion to
    be decided at all (a recused voter is not present: still eligible, never a vote);
    ``majority`` is the share of the votes cast the leading option needs to carry.
    """

    name: str
    participation: Threshold
    majority: Threshold

    def votes_needed(self, eligible: int) -> int:
        """How many votes make a quorum among ``eligible`` voters (at least one)."""
        return max(1, self.participation.smallest_part(eligible))

    def is_quorate(self, votes_cast: int, eligible: int) -> bool:
        """True when ``votes_cast`` out of ``eligible`` voters make a quorum."""
        return eligible > 0 and votes_cast >= self.votes_needed(eligible)


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationLevel:
    """A rung of the dispute ladder: its name and the roles that may resolve there."""

    name: str
    resolver_roles: frozenset[Role]


@dataclass(frozen=True, slots=True, kw_only=True)
class Signatories:
    """Who may give a kind of signature: a holder of one of the roles, from one of the
    organization kinds."""

    roles: frozenset[Role]
    organization_kinds: frozenset[OrganizationKind]

    def admit(self, roles: frozenset[Role], organization_kind: OrganizationKind) -> bool:
        """True when someone holding ``roles`` in an ``organization_kind`` may sign."""
        return not roles.isdisjoint(self.roles) and organization_kind in self.organization_kinds


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalRules:
    """Who must sign an amendment before it can merge.

    The sponsor always approves; the ethics committee approves substantial amendments;
    a patient advocate reviews changes to participant-facing sections.
    """

    sponsor_approval: Signatories
    ethics_approval: Signatories
    participant_review: Signatories
    participant_facing_sections: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleRule:
    """What a role needs: an organization of one of these kinds, and these trainings."""

    organization_kinds: frozenset[OrganizationKind]
    training: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Witness:
    """A party outside the server that must cosign the log's checkpoints (docs/audit.md):
    its key name (a schema-less URL such as ``ethics.example/witness``) and its Ed25519
    public key, the 32 raw bytes in standard base64."""

    name: str
    public_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConflictsOfInterest:
    """Who else may not resolve a dispute. Its raiser and whoever's work its subject is
    (``domain.dispute``) never may, whatever the charter says: a charter only widens it."""

    same_organization: bool = False
    """Nor may a member of an organization that one of those authors belongs to."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitteeQuorum:
    """How the ethics committee's vote on an amendment is judged.

    ``rule`` is a named quorum rule, applied as for a motion: the members present (in
    favour, against or abstaining; a recused member is not present) must reach its
    ``participation`` share of the committee's ``membership``, and those in favour its
    ``majority`` share of the members present (21 CFR 56.108(c): a quorum of the
    members, and approval by a majority of those present).
    """

    membership: int
    rule: QuorumRule

    def is_quorate(self, present: int) -> bool:
        """True when ``present`` members make a quorum of the committee."""
        return self.rule.is_quorate(present, self.membership)

    def carries(self, in_favour: int, present: int) -> bool:
        """True when ``in_favour`` of the ``present`` members carry the approval."""
        return present > 0 and self.rule.majority.is_met(in_favour, present)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteOversight:
    """Who approves a protocol version for one investigator site before it takes effect
    there (ICH E6(R3) §4.3.5, ``domain.sites``): the ethics committee covering the site
    and, where the charter says so, a regulator. Both are admitted organizations, named by
    id; an ethics reviewer of each records its approval."""

    ethics_committee: str
    """The ethics organization whose committee covers the site."""
    regulator: str = ""
    """The regulator organization whose approval the site also needs; blank: none."""


DEFAULT_ETHICS_COMMITTEE = CommitteeQuorum(
    membership=9,
    rule=QuorumRule(
        name="ethics committee majority",
        participation=Threshold(numerator=1, denominator=2, inclusive=False),
        majority=Threshold(numerator=1, denominator=2, inclusive=False),
    ),
)
"""A committee of nine that meets with a majority of its members present and approves by
a majority of those present; charters written before committee quorums have it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Charter:
    """The governance charter of one trial."""

    approval: ApprovalRules
    quorum_rules: tuple[QuorumRule, ...]
    escalation_ladder: tuple[EscalationLevel, ...]
    roles: Mapping[Role, RoleRule]
    witnesses: tuple[Witness, ...] = ()
    """Who must cosign the log's checkpoints; none by default (charters written before
    witnesses existed have none)."""
    ethics_committee: CommitteeQuorum = DEFAULT_ETHICS_COMMITTEE
    """The ethics committee's size and the quorum its votes on amendments must meet."""
    conflicts_of_interest: ConflictsOfInterest = ConflictsOfInterest()
    """Who besides the authors and the raiser may not resolve a dispute; nobody else by
    default (charters written before have the default)."""
    concurrent_substantial_modifications: bool = False
    """Whether a substantial amendment may be under evaluation while another is (EU CTR
    Art. 15-17 practice: one at a time, the default). When allowed, each is linked to
    the others (``domain.amendment``)."""
    erasure_approvers: frozenset[Role] = frozenset({Role.TRIAL_ADMIN})
    """Who in this trial approves erasing the personal data of someone who is or was a
    member (``domain.erasure_requests``): a member holding one of these roles, neither
    the requester nor the person. A trial admin by default (charters written before have
    the default)."""
    site_oversight: Mapping[str, SiteOversight] = field(default_factory=frozen_map)
    """Site organization id -> who approves a protocol version for that site before it is
    activated there (``domain.sites``); a site not named here cannot be activated. None
    by default (charters written before have none)."""

    def quorum_rule(self, name: str) -> QuorumRule | None:
        """The quorum rule called ``name``, if the charter has one."""
        return next((rule for rule in self.quorum_rules if rule.name == name), None)

    def role_rule(self, role: Role) -> RoleRule:
        """What ``role`` needs; a role the charter does not mention is open to nobody."""
        return self.roles.get(role, _CLOSED_ROLE)


_CLOSED_ROLE = RoleRule(organization_kinds=frozenset(), training=frozenset())


def check_charter(charter: Charter) -> None:
    """Refuse a charter that could not be followed, naming the first inconsistency."""
    problems = [*_quorum_problems(charter), *_ladder_problems(charter)]
    problems += _approval_problems(charter.approval) + _role_problems(charter.roles)
    problems += _witness_problems(charter.witnesses)
    problems += _committee_problems(charter.ethics_committee)
    problems += _oversight_problems(charter)
    if not charter.erasure_approvers:
        problems.append("erasure approvers must name at least one role")
    if problems:
        raise InvalidCharter("; ".join(problems))


def _quorum_problems(charter: Charter) -> list[str]:
    names = [rule.name for rule in charter.quorum_rules]
    problems = [] if names else ["the charter needs at least one quorum rule"]
    if len(set(names)) != len(names):
        problems.append("quorum rule names must be unique")
    for rule in charter.quorum_rules:
        if not rule.name.strip():
            problems.append("every quorum rule needs a name")
        problems += _share_problems(rule, f"quorum rule {rule.name!r}")
    return problems


def _share_problems(rule: QuorumRule, label: str) -> list[str]:
    shares = (("participation", rule.participation), ("majority", rule.majority))
    return [
        f"{label}: {what} {share} cannot be met" for what, share in shares if not _attainable(share)
    ]


def _committee_problems(committee: CommitteeQuorum) -> list[str]:
    rule = committee.rule
    problems = [] if committee.membership > 0 else ["the ethics committee needs members"]
    if not rule.name.strip():
        problems.append("the ethics committee's quorum rule needs a name")
    return problems + _share_problems(rule, f"the ethics committee's rule {rule.name!r}")


def _oversight_problems(charter: Charter) -> list[str]:
    problems = []
    reviewers = charter.role_rule(Role.ETHICS_REVIEWER).organization_kinds
    for site, oversight in charter.site_oversight.items():
        if not site.strip() or not oversight.ethics_committee.strip():
            problems.append(f"site {site!r} needs a site and an ethics committee named")
        if oversight.regulator.strip() and OrganizationKind.REGULATOR not in reviewers:
            problems.append(
                f"site {site!r} needs regulator {oversight.regulator!r}'s approval, but the"
                " ethics_reviewer role is not open to regulator organizations, so nobody"
                " could record it"
            )
    return problems


def check_site_oversight(charter: Charter, organizations: Mapping[str, OrganizationKind]) -> None:
    """Refuse a charter whose site oversight names an organization the trial has not
    admitted, or one of another kind (``organizations``: id -> kind of those admitted)."""
    expected = ("site", OrganizationKind.SITE), ("ethics committee", OrganizationKind.ETHICS)
    problems = []
    for site, oversight in charter.site_oversight.items():
        named = [(site, *expected[0]), (oversight.ethics_committee, *expected[1])]
        if oversight.regulator:
            named.append((oversight.regulator, "regulator", OrganizationKind.REGULATOR))
        problems += [
            f"{what} {org!r} is not an admitted {kind.value} organization"
            for org, what, kind in named
            if organizations.get(org) is not kind
        ]
    if problems:
        raise InvalidCharter("; ".join(problems))


def _attainable(share: Threshold) -> bool:
    """A share is usable when it is positive and some part of a whole can reach it."""
    if share.denominator <= 0 or share.numerator <= 0:
        return False
    if share.inclusive:
        return share.numerator <= share.denominator
    return share.numerator < share.denominator


def _ladder_problems(charter: Charter) -> list[str]:
    ladder = charter.escalation_ladder
    problems = [] if ladder else ["the escalation ladder needs at least one level"]
    if len({level.name for level in ladder}) != len(ladder):
        problems.append("escalation level names must be unique")
    problems += [
        f"escalation level {level.name!r} names no role that may resolve disputes"
        for level in ladder
        if not level.resolver_roles
    ]
    return problems


def _approval_problems(approval: ApprovalRules) -> list[str]:
    signatories = {
        "sponsor approval": approval.sponsor_approval,
        "ethics approval": approval.ethics_approval,
        "participant review": approval.participant_review,
    }
    problems = [
        f"{what} needs at least one role and one organization kind"
        for what, rule in signatories.items()
        if not rule.roles or not rule.organization_kinds
    ]
    unknown = sorted(
        s for s in approval.participant_facing_sections if not m11.is_section_number(s)
    )
    if unknown:
        problems.append(f"participant-facing sections {unknown} are not M11 section numbers")
    return problems


def _role_problems(roles: Mapping[Role, RoleRule]) -> list[str]:
    missing = sorted(role.value for role in Role if role not in roles)
    problems = (
        [f"the charter must state the rule for every role; missing {missing}"] if missing else []
    )
    if not roles.get(Role.TRIAL_ADMIN, _CLOSED_ROLE).organization_kinds:
        problems.append("the trial_admin role must be open to some organization kind")
    problems += [
        f"role {role.value} lists a blank training course"
        for role, rule in roles.items()
        if any(not course.strip() for course in rule.training)
    ]
    return problems


def _witness_problems(witnesses: tuple[Witness, ...]) -> list[str]:
    names = [witness.name for witness in witnesses]
    problems = [] if len(set(names)) == len(names) else ["witness names must be unique"]
    for witness in witnesses:
        if not witness.name or any(c.isspace() or c == "+" or c < " " for c in witness.name):
            problems.append(
                f"witness name {witness.name!r} must be non-empty, without spaces or '+'"
            )
        if not _is_ed25519_key(witness.public_key):
            problems.append(
                f"witness {witness.name!r}: the public key must be the 32 bytes of an"
                " Ed25519 key in base64"
            )
    return problems


def _is_ed25519_key(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


GCP_TRAINING = "ICH E6(R3) Good Clinical Practice"
ADVOCATE_TRAINING = "Patient Partner Orientation"
ETHICS_TRAINING = "Research Ethics Review"


def _role(kinds: set[OrganizationKind], *training: str) -> RoleRule:
    return RoleRule(organization_kinds=frozenset(kinds), training=frozenset(training))


_ORG = OrganizationKind

DEFAULT_CHARTER = Charter(
    approval=ApprovalRules(
        sponsor_approval=Signatories(
            roles=frozenset({Role.SPONSOR_LEAD}), organization_kinds=frozenset({_ORG.SPONSOR})
        ),
        ethics_approval=Signatories(
            roles=frozenset({Role.ETHICS_REVIEWER}), organization_kinds=frozenset({_ORG.ETHICS})
        ),
        participant_review=Signatories(
            roles=frozenset({Role.PATIENT_ADVOCATE}),
            organization_kinds=frozenset({_ORG.ADVOCACY}),
        ),
        participant_facing_sections=m11.PARTICIPANT_FACING_SECTIONS,
    ),
    quorum_rules=(
        QuorumRule(
            name="simple-majority",
            participation=Threshold(numerator=1, denominator=2),
            majority=Threshold(numerator=1, denominator=2, inclusive=False),
        ),
        QuorumRule(
            name="two-thirds",
            participation=Threshold(numerator=2, denominator=3),
            majority=Threshold(numerator=2, denominator=3),
        ),
        QuorumRule(
            name="unanimous",
            participation=Threshold(numerator=1, denominator=1),
            majority=Threshold(numerator=1, denominator=1),
        ),
    ),
    escalation_ladder=(
        EscalationLevel(
            name="Protocol team",
            resolver_roles=frozenset({Role.TRIAL_ADMIN, Role.SPONSOR_LEAD, Role.INVESTIGATOR}),
        ),
        EscalationLevel(
            name="Trial steering committee", resolver_roles=frozenset({Role.SPONSOR_LEAD})
        ),
        EscalationLevel(name="Ethics committee", resolver_roles=frozenset({Role.ETHICS_REVIEWER})),
    ),
    roles=frozen_map(
        {
            Role.TRIAL_ADMIN: _role({_ORG.SPONSOR, _ORG.CRO}, GCP_TRAINING),
            Role.SPONSOR_LEAD: _role({_ORG.SPONSOR}, GCP_TRAINING),
            Role.SPONSOR_MEMBER: _role({_ORG.SPONSOR, _ORG.CRO}, GCP_TRAINING),
            Role.INVESTIGATOR: _role({_ORG.SITE}, GCP_TRAINING),
            Role.SITE_STAFF: _role({_ORG.SITE}, GCP_TRAINING),
            Role.PATIENT_ADVOCATE: _role({_ORG.ADVOCACY}, ADVOCATE_TRAINING),
            Role.ETHICS_REVIEWER: _role({_ORG.ETHICS}, ETHICS_TRAINING),
            Role.AUDITOR: _role({_ORG.SPONSOR, _ORG.CRO, _ORG.REGULATOR}, GCP_TRAINING),
        }
    ),
)
"""The charter a new trial gets unless it states its own."""
