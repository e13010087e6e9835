"""Decisions: motions put to a vote under one of the charter's quorum rules.

A motion states a question, its options, who may vote, the quorum rule and a deadline
(one stream per motion). Members vote once or recuse themselves. The quorum is counted
over every eligible voter: a recused member is not present for the vote, so they count
neither toward the quorum nor as a vote, and recusals never shrink the base (three of
four recusing cannot leave the fourth to decide alone). At the deadline, or once every
eligible member has voted or recused, the motion is closed: decided with its tally when
quorate (the outcome is None when no option reached the rule's majority of the votes
cast), otherwise lapsed.

Who may be put to a vote: members holding a role that votes, never an auditor (an
auditor observes the trial's decisions and must stay independent of them; the charter's
quorum rules name shares, not roles, so no charter makes auditors voters). A member
without any role yet cannot vote either: listing them would count them in the quorum's
base while they could never vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import assert_never

from domain.charter import Charter, QuorumRule
from domain.errors import (
    AlreadyVoted,
    InvalidMotion,
    MotionAlreadyTabled,
    MotionNotFound,
    NotAnEligibleVoter,
    UnknownOption,
    UnknownQuorumRule,
    VoterIsRecused,
    VotingClosed,
    VotingStillOpen,
    require_text,
)
from domain.event import Command, Event, fold_events, ignore_unknown
from domain.frozen import frozen_map, with_entry
from domain.roles import Role
from domain.timestamps import instant_text
from domain.workspace_state import TrialState

# -- events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionTally:
    """The votes one option received."""

    option: str
    votes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteCount:
    """How voting ended: the tally, and how it measured against the quorum."""

    tally: tuple[OptionTally, ...]
    votes_cast: int
    eligible_voters: int
    """The base the quorum was counted over: every eligible voter (logs written before
    recusals stopped shrinking the base hold the voters who did not recuse)."""
    votes_needed: int
    """The votes a quorum needed."""
    recused: int = 0
    """Eligible voters who recused: counted neither toward the quorum nor as votes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MotionTabled(Event):
    """A motion was put to ``eligible_voters``; the quorum rule is copied from the
    charter, so a later charter amendment does not change a running vote."""

    motion_id: str
    trial_id: str
    question: str
    options: tuple[str, ...]
    eligible_voters: tuple[str, ...]
    quorum_rule: QuorumRule
    deadline: str
    tabled_at: str
    tabled_by: str
    subject: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteCast(Event):
    """An eligible voter chose an option before the deadline."""

    motion_id: str
    voter_id: str
    option: str
    cast_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VoterRecused(Event):
    """An eligible voter stepped aside: they do not vote, and the quorum still counts
    them among the eligible voters it needs a share of."""

    motion_id: str
    voter_id: str
    reason: str
    recused_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MotionDecided(Event):
    """The motion was quorate; ``outcome`` is the carried option, or None when no
    option reached the majority the rule requires."""

    motion_id: str
    outcome: str | None
    count: VoteCount
    closed_at: str
    closed_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MotionLapsed(Event):
    """Voting closed without a quorum."""

    motion_id: str
    count: VoteCount
    closed_at: str
    closed_by: str


MotionEvent = MotionTabled | VoteCast | VoterRecused | MotionDecided | MotionLapsed

# -- commands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MotionContext:
    """The workspace facts tabling a motion needs: the charter, the member ids, and each
    member's roles (who of them may vote: :func:`may_vote`)."""

    charter: Charter
    members: frozenset[str]
    roles: Mapping[str, frozenset[Role]] = field(default_factory=frozen_map)
    """Member -> the roles they hold now; a member missing here holds none."""

    @classmethod
    def of(cls, trial: TrialState) -> MotionContext:
        """The context of a motion in ``trial`` as it stands now."""
        roles = {user_id: member.roles for user_id, member in trial.members.items()}
        return cls(charter=trial.charter, members=frozenset(trial.members), roles=roles)

    def voters(self) -> frozenset[str]:
        """The members who may be put to a vote."""
        return frozenset(m for m in self.members if may_vote(self.roles.get(m, frozenset())))


def may_vote(roles: frozenset[Role]) -> bool:
    """True when someone holding ``roles`` may be an eligible voter: a role besides
    auditor, and not the auditor role (an auditor never votes on what they audit)."""
    return bool(roles) and Role.AUDITOR not in roles


@dataclass(frozen=True, slots=True, kw_only=True)
class TableMotion(Command):
    """Put a question to a vote of some members, under one of the charter's quorum rules."""

    motion_id: str
    trial_id: str
    question: str
    options: tuple[str, ...]
    eligible_voters: tuple[str, ...]
    quorum_rule: str
    """The name of one of the charter's quorum rules."""
    deadline: datetime
    tabled_at: datetime
    subject: str | None = None
    """What the motion decides about (an amendment, a dispute...), if anything."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CastVote(Command):
    """Vote for one option, once, before the deadline."""

    option: str
    cast_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RecuseFromMotion(Command):
    """Step aside from a motion before voting, with a reason."""

    reason: str
    recused_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseMotion(Command):
    """Close voting as of ``as_of`` (the deadline's scheduler or the chair)."""

    as_of: datetime


MotionCommand = TableMotion | CastVote | RecuseFromMotion | CloseMotion

# -- state ------------------------------------------------------------------------------


class MotionStatus(StrEnum):
    """Whether a motion is still open, and how it ended."""

    OPEN = "open"
    DECIDED = "decided"
    LAPSED = "lapsed"


@dataclass(frozen=True, slots=True, kw_only=True)
class MotionState:
    """A motion as of some position in its stream."""

    motion_id: str = ""
    trial_id: str = ""
    question: str = ""
    options: tuple[str, ...] = ()
    eligible_voters: frozenset[str] = frozenset()
    quorum_rule: QuorumRule | None = None
    deadline: str = ""
    status: MotionStatus | None = None
    votes: Mapping[str, str] = field(default_factory=frozen_map)
    """Voter -> option."""
    recused: Mapping[str, str] = field(default_factory=frozen_map)
    """Voter -> reason."""
    outcome: str | None = None

    @property
    def exists(self) -> bool:
        return bool(self.motion_id)

    @property
    def present_voters(self) -> frozenset[str]:
        """Eligible voters who did not recuse: those who may vote, or have voted. Not the
        base of the quorum, which is every eligible voter."""
        return self.eligible_voters - self.recused.keys()

    def tally(self) -> tuple[OptionTally, ...]:
        """Votes per option, in the order the options were tabled."""
        counts = dict.fromkeys(self.options, 0)
        for option in self.votes.values():
            counts[option] = counts.get(option, 0) + 1
        return tuple(OptionTally(option=o, votes=n) for o, n in counts.items())


NEW_MOTION = MotionState()


def carried_option(rule: QuorumRule, tally: tuple[OptionTally, ...]) -> str | None:
    """The option with the most votes, if it alone leads and reaches the rule's majority
    of the votes cast."""
    votes_cast = sum(t.votes for t in tally)
    ranked = sorted(tally, key=lambda t: t.votes, reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0].votes == ranked[1].votes):
        return None
    leader = ranked[0]
    return leader.option if rule.majority.is_met(leader.votes, votes_cast) else None


# -- decide -----------------------------------------------------------------------------


def decide(state: MotionState, command: MotionCommand, context: MotionContext) -> list[MotionEvent]:
    """The events ``command`` causes, or a DomainError naming the rule it breaks."""
    if isinstance(command, TableMotion):
        return _table(state, command, context)
    if not state.exists:
        raise MotionNotFound("the motion does not exist")
    if state.status is not MotionStatus.OPEN:
        raise VotingClosed(f"motion {state.motion_id} is {state.status}")
    voter = command.actor.user_id
    match command:
        case CastVote(option=option, cast_at=cast_at):
            moment = _before_deadline(state, cast_at, "the time of the vote")
            _require_present_voter(state, voter)
            if option not in state.options:
                raise UnknownOption(f"{option!r} is not an option of motion {state.motion_id}")
            return [
                VoteCast(motion_id=state.motion_id, voter_id=voter, option=option, cast_at=moment)
            ]
        case RecuseFromMotion(reason=reason, recused_at=recused_at):
            moment = _before_deadline(state, recused_at, "the time of the recusal")
            require_text(reason, "a reason for recusing")
            _require_present_voter(state, voter)
            return [
                VoterRecused(
                    motion_id=state.motion_id, voter_id=voter, reason=reason, recused_at=moment
                )
            ]
        case CloseMotion(as_of=as_of):
            return [_close(state, instant_text(as_of, "the closing time"), voter)]
        case _:
            assert_never(command)


def _table(state: MotionState, command: TableMotion, context: MotionContext) -> list[MotionEvent]:
    if state.exists:
        raise MotionAlreadyTabled(f"motion {state.motion_id} already exists")
    require_text(command.motion_id, "a motion id")
    require_text(command.question, "the motion's question")
    options, voters = command.options, command.eligible_voters
    if len(options) < 2 or len(set(options)) != len(options) or not all(o.strip() for o in options):
        raise InvalidMotion("a motion needs at least two distinct, named options")
    if not voters or len(set(voters)) != len(voters):
        raise InvalidMotion("a motion needs eligible voters, each listed once")
    strangers = sorted(set(voters) - context.members)
    if strangers:
        raise InvalidMotion(f"{strangers} are not members of the trial and cannot vote")
    observers = sorted(set(voters) - context.voters())
    if observers:
        raise NotAnEligibleVoter(
            f"{observers} may not vote: an auditor never votes, and a member without a role cannot"
        )
    rule = context.charter.quorum_rule(command.quorum_rule)
    if rule is None:
        known = [r.name for r in context.charter.quorum_rules]
        raise UnknownQuorumRule(f"the charter has no quorum rule {command.quorum_rule!r}; {known}")
    deadline = instant_text(command.deadline, "the deadline")
    tabled_at = instant_text(command.tabled_at, "the tabling time")
    if deadline <= tabled_at:
        raise InvalidMotion("the deadline must come after the motion is tabled")
    return [
        MotionTabled(
            motion_id=command.motion_id,
            trial_id=command.trial_id,
            question=command.question,
            options=options,
            eligible_voters=voters,
            quorum_rule=rule,
            deadline=deadline,
            tabled_at=tabled_at,
            tabled_by=command.actor.user_id,
            subject=command.subject,
        )
    ]


def _before_deadline(state: MotionState, moment: datetime, what: str) -> str:
    """The text of ``moment``, refused when it is past the deadline."""
    text = instant_text(moment, what)
    if text > state.deadline:
        raise VotingClosed(f"voting on motion {state.motion_id} closed at {state.deadline}")
    return text


def _require_present_voter(state: MotionState, voter: str) -> None:
    if voter not in state.eligible_voters:
        raise NotAnEligibleVoter(f"{voter} is not an eligible voter on motion {state.motion_id}")
    if voter in state.recused:
        raise VoterIsRecused(f"{voter} recused themself from motion {state.motion_id}")
    if voter in state.votes:
        raise AlreadyVoted(f"{voter} already voted on motion {state.motion_id}")


def _close(state: MotionState, closed_at: str, closed_by: str) -> MotionEvent:
    outstanding = state.present_voters - state.votes.keys()
    if closed_at < state.deadline and outstanding:
        raise VotingStillOpen(
            f"motion {state.motion_id} runs until {state.deadline};"
            f" {len(outstanding)} eligible voters have not voted"
        )
    assert state.quorum_rule is not None
    rule, tally = state.quorum_rule, state.tally()
    eligible = len(state.eligible_voters)
    count = VoteCount(
        tally=tally,
        votes_cast=len(state.votes),
        eligible_voters=eligible,
        votes_needed=rule.votes_needed(eligible),
        recused=len(state.recused),
    )
    if not rule.is_quorate(count.votes_cast, eligible):
        return MotionLapsed(
            motion_id=state.motion_id, count=count, closed_at=closed_at, closed_by=closed_by
        )
    return MotionDecided(
        motion_id=state.motion_id,
        outcome=carried_option(rule, tally),
        count=count,
        closed_at=closed_at,
        closed_by=closed_by,
    )


# -- evolve -----------------------------------------------------------------------------


def evolve(state: MotionState, event: MotionEvent) -> MotionState:
    """The motion after ``event``; never fails."""
    match event:
        case MotionTabled():
            return replace(
                state,
                motion_id=event.motion_id,
                trial_id=event.trial_id,
                question=event.question,
                options=event.options,
                eligible_voters=frozenset(event.eligible_voters),
                quorum_rule=event.quorum_rule,
                deadline=event.deadline,
                status=MotionStatus.OPEN,
            )
        case VoteCast(voter_id=voter, option=option):
            return replace(state, votes=with_entry(state.votes, voter, option))
        case VoterRecused(voter_id=voter, reason=reason):
            return replace(state, recused=with_entry(state.recused, voter, reason))
        case MotionDecided(outcome=outcome):
            return replace(state, status=MotionStatus.DECIDED, outcome=outcome)
        case MotionLapsed():
            return replace(state, status=MotionStatus.LAPSED)
        case _:
            return ignore_unknown(state, event)


def fold(events: Iterable[MotionEvent], state: MotionState = NEW_MOTION) -> MotionState:
    """The motion after ``events``, starting from ``state``."""
    return fold_events(evolve, state, events)
