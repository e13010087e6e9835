"""The command service itself, without HTTP, on the demo trial (SQLite and PostgreSQL).

"Another server" is a second composition root on the same database. To leave this
server's state cache stale, it runs on a thread with its own event loop, as another
process would, while this event loop waits without running anything (no await): the
cache's follower cannot have seen its append before the next decision here. To overtake
every attempt of a command, it appends while the command is decided (``overtaken``): not
from ``build``, since each attempt after the first reads its stream from the log after
building the command, so an append made there only beats the first attempt.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

import pytest

from domain import amendment, protocol
from domain.actor import Actor
from domain.amendment_state import AmendmentConflict
from domain.approval_policy import SignatureMeaning
from domain.engagement import (
    CommentSubjectKind,
    CommentThread,
    Disposition,
    DispositionFeedback,
    PostComment,
)
from domain.errors import AmendmentInConflict, ProtocolNotDrafted
from domain.event import Command
from domain.merging import MergeAmendment
from domain.roles import OrganizationKind
from server.bootstrap import open_services
from server.commands.aggregates import AMENDMENT, COMMENTS, Decision, Situation
from server.commands.errors import ConcurrentChange, IdempotencyKeyReused, StaleVersion
from server.commands.idempotency import IdempotentRequest
from server.commands.reactions import BuildCommand
from server.commands.service import Outcome
from server.commands.targets import (
    Target,
    amendment_target,
    protocol_target,
    thread_target,
)
from server.demo import AGE_AMENDMENT, AGE_CHANGE, DEMO_TRIAL, PROTOCOL_TEXTS, DemoPerson
from server.services import Services, Settings
from tests.integration.server.founders import founding

T = TypeVar("T")
People = dict[str, DemoPerson]
THREAD = thread_target(DEMO_TRIAL, CommentSubjectKind.AMENDMENT, "A-1")
"""The comment thread on amendment A-1: the demo posted C-1 to it, so it is cached."""
ATTEMPTS = 5
"""How often the service decides a command whose append the log keeps refusing."""


@dataclass
class Posting:
    """A comment on A-1 to post: the service's ``build``, which it calls once per
    attempt, so ``decided`` counts how often the service decided it."""

    comment_id: str
    text: str = "Spirometry criteria hold above 65"
    decided: int = 0

    def __call__(self, actor: Actor) -> PostComment:
        self.decided += 1
        return PostComment(
            actor=actor,
            trial_id=DEMO_TRIAL,
            subject_kind=CommentSubjectKind.AMENDMENT,
            subject_id="A-1",
            comment_id=self.comment_id,
            text=self.text,
        )


def on_another_process(url: str, settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    """``work`` on another server over the same database, on its own thread and event loop.

    Blocks this event loop until it is done (no await), so this server's state cache still
    holds what it had: its next decision on those streams is taken on a stale state."""

    async def run() -> T:
        async with open_services(url, settings=settings) as other:
            return await work(other)

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, run()).result()


async def comment_ids(services: Services, after_version: int) -> list[str]:
    """The ids of the comments posted to A-1's thread after ``after_version``."""
    events = await services.store.read_stream(THREAD.stream_id, from_version=after_version + 1)
    return [event.data["comment_id"] for event in events]


async def thread_version(services: Services) -> int:
    return (await services.states.load(COMMENTS, THREAD.stream_id)).version


async def assert_recorded_as_told(services: Services, posting: Posting, outcome: Outcome) -> None:
    """The outcome names the version and position where the log holds the posting, once."""
    [event] = await services.store.read_stream(
        THREAD.stream_id, from_version=outcome.version, limit=1
    )
    assert event.data["comment_id"] == posting.comment_id
    assert event.position == outcome.position
    assert [e.data for e in outcome.events] == [event.data]


async def test_a_queued_chain_the_log_refuses_is_decided_again_on_the_log(
    services: Services, demo: People, url: str, settings: Settings
) -> None:
    ivy, omar = demo["ivy"].user_id, demo["omar"].user_id
    version = await thread_version(services)  # cached, and the newest this server knows
    elsewhere = Posting("C-elsewhere", "Posted on another server")
    on_another_process(url, settings, lambda other: other.commands.execute(THREAD, omar, elsewhere))
    first, second = Posting("C-first", "Point 1"), Posting("C-second", "Point 2")
    # No await since the other server appended: `first` is decided on the cached state and
    # queued; `second` is decided on the state `first` will leave and queued after it.
    outcomes = await asyncio.gather(
        services.commands.execute(THREAD, ivy, first),
        services.commands.execute(THREAD, ivy, second),
    )

    # The log refused `first` (stale) and so `second` (decided on it), though the version
    # `second` expected is the log's: both were decided again, on the log, and recorded.
    assert (first.decided, second.decided) == (2, 2)
    # Each was decided again on its own, so they may land in either order.
    recorded = await comment_ids(services, version)
    assert recorded[0] == "C-elsewhere"
    assert sorted(recorded[1:]) == ["C-first", "C-second"]
    assert sorted(outcome.version for outcome in outcomes) == [version + 2, version + 3]
    for posting, outcome in zip((first, second), outcomes, strict=True):
        assert not outcome.replayed
        await assert_recorded_as_told(services, posting, outcome)
    state = (await services.states.load(COMMENTS, THREAD.stream_id)).state
    assert {"C-elsewhere", "C-first", "C-second"} <= state.comments.keys()


async def test_if_match_on_a_version_no_longer_current_is_a_stale_version(
    services: Services, demo: People, url: str, settings: Settings
) -> None:
    ivy, omar = demo["ivy"].user_id, demo["omar"].user_id
    version = await thread_version(services)

    older = Posting("C-older")
    with pytest.raises(StaleVersion) as known:
        await services.commands.execute(THREAD, ivy, older, if_match=version - 1)
    assert (known.value.stream_id, known.value.expected) == (THREAD.stream_id, version - 1)
    assert known.value.current == version
    assert await comment_ids(services, version) == []

    # Another server moves the stream; this one still holds `version`, which the client
    # pinned too: decided on it, refused by the log, and told, not decided again.
    elsewhere = Posting("C-elsewhere")
    on_another_process(url, settings, lambda other: other.commands.execute(THREAD, omar, elsewhere))
    pinned = Posting("C-pinned")
    with pytest.raises(StaleVersion) as moved:
        await services.commands.execute(THREAD, ivy, pinned, if_match=version)
    assert (moved.value.expected, moved.value.current) == (version, version + 1)
    assert pinned.decided == 1
    assert await comment_ids(services, version) == ["C-elsewhere"]

    # Pinned to the version the other server made: this server reads the log and records it.
    current = Posting("C-current")
    outcome = await services.commands.execute(THREAD, ivy, current, if_match=version + 1)
    assert outcome.version == version + 2
    await assert_recorded_as_told(services, current, outcome)


def overtaken(other: Services, person: str, times: int, rival: str) -> Target[CommentThread]:
    """A-1's thread, where another server posts a comment (``rival``-1, -2...) while this
    one decides each of its first ``times`` attempts: after it read the stream, before it
    appends. The kind is the real one, whose decision first awaits the other server."""
    rivals = itertools.count(1)

    async def decide(situation: Situation, state: CommentThread, command: Command) -> Decision:
        n = next(rivals)
        if n <= times:
            await other.commands.execute(THREAD, person, Posting(f"{rival}-{n}"))
        return await COMMENTS.decide(situation, state, command)

    return Target(replace(COMMENTS, decide=decide), THREAD.stream)


async def test_lost_races_are_decided_again_until_the_retries_run_out(
    services: Services, demo: People, url: str, settings: Settings
) -> None:
    ivy, omar = demo["ivy"].user_id, demo["omar"].user_id
    version = await thread_version(services)
    async with open_services(url, settings=settings) as other:
        # Overtaken on each attempt but the last: recorded on the last.
        patient = Posting("C-patient")
        almost = overtaken(other, omar, ATTEMPTS - 1, "C-rival")
        outcome = await services.commands.execute(almost, ivy, patient)
        assert patient.decided == ATTEMPTS
        assert outcome.version == version + ATTEMPTS
        await assert_recorded_as_told(services, patient, outcome)

        # Overtaken on every attempt: refused, and nothing of it recorded.
        unlucky = Posting("C-unlucky")
        always = overtaken(other, omar, ATTEMPTS, "C-winner")
        with pytest.raises(ConcurrentChange) as refused:
            await services.commands.execute(always, ivy, unlucky)
    assert refused.value.stream_id == THREAD.stream_id
    assert unlucky.decided == ATTEMPTS
    rivals = [f"C-rival-{n}" for n in range(1, ATTEMPTS)]
    winners = [f"C-winner-{n}" for n in range(1, ATTEMPTS + 1)]
    assert await comment_ids(services, version) == [*rivals, "C-patient", *winners]


async def test_a_request_sent_again_with_its_key_is_answered_as_first_recorded(
    services: Services, demo: People
) -> None:
    ivy = demo["ivy"].user_id
    version = await thread_version(services)
    path = f"/api/trials/{DEMO_TRIAL}/comments/amendment/A-1"
    body = {"text": "Spirometry criteria hold above 65"}
    request = IdempotentRequest.of(ivy, "retry-1", "POST", path, body)

    first = await services.commands.execute(
        THREAD, ivy, Posting("C-drawn-first"), idempotency=request
    )
    # The retry draws another comment id, as the server does per request: not decided again.
    retry = Posting("C-drawn-again")
    again = await services.commands.execute(THREAD, ivy, retry, idempotency=request)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.events == first.events
    assert (again.position, again.version) == (first.position, first.version)
    assert retry.decided == 0
    assert await comment_ids(services, version) == ["C-drawn-first"]

    other_body = IdempotentRequest.of(ivy, "retry-1", "POST", path, {"text": "Something else"})
    reused = Posting("C-reused", "Something else")
    with pytest.raises(IdempotencyKeyReused):
        await services.commands.execute(THREAD, ivy, reused, idempotency=other_body)
    assert reused.decided == 0
    assert await comment_ids(services, version) == ["C-drawn-first"]


def run_as(
    services: Services, person: DemoPerson, target: Target[Any], build: BuildCommand
) -> Awaitable[Outcome]:
    return services.commands.execute(target, person.user_id, build, meta={"actor": person.username})


async def test_a_merge_puts_another_amendment_on_the_same_section_in_conflict(
    services: Services, demo: People
) -> None:
    ivy, omar, sam = demo["ivy"], demo["omar"], demo["sam"]
    a1, a2 = amendment_target(DEMO_TRIAL, "A-1"), amendment_target(DEMO_TRIAL, "A-2")
    widen = replace(AGE_CHANGE, text=PROTOCOL_TEXTS["5.2"].replace("18 to 65", "18 to 70"))
    await run_as(
        services,
        omar,
        a2,
        lambda actor: amendment.OpenAmendment(
            actor=actor, amendment_id="A-2", base_version=1, details=AGE_AMENDMENT
        ),
    )
    await run_as(
        services, omar, a2, lambda actor: amendment.ProposeSectionChange(actor=actor, change=widen)
    )
    content_hash = (await services.states.load(AMENDMENT, a1.stream_id)).state.content_hash
    await run_as(
        services,
        sam,
        a1,
        lambda actor: amendment.SignAmendment(
            actor=actor,
            meaning=SignatureMeaning.APPROVAL,
            content_hash=content_hash,
            signed_at=services.clock(),
            password_confirmed=True,
        ),
    )
    await run_as(services, ivy, THREAD, adopt_c1)  # the advocate's feedback, needed to merge

    merged = await run_as(
        services,
        sam,
        a1,
        lambda actor: MergeAmendment(actor=actor, effective_date=date(2030, 1, 1)),
    )

    assert "AmendmentMerged" in [event.type for event in merged.events]
    assert "AmendmentConflictDetected" not in [event.type for event in merged.events]
    conflict = (await services.store.read_stream(a2.stream_id))[-1]
    assert conflict.type == "AmendmentConflictDetected"
    assert merged.position is not None
    assert conflict.position > merged.position
    assert conflict.meta["actor"] == "sam"  # the reaction runs as the one who merged
    state = (await services.states.load(AMENDMENT, a2.stream_id)).state
    assert state.conflict == AmendmentConflict(
        protocol_version=2, sections=frozenset({"5.2"}), merged_amendments=("A-1",)
    )
    a1_events = await services.store.read_stream(a1.stream_id)
    assert "AmendmentConflictDetected" not in [event.type for event in a1_events]
    with pytest.raises(AmendmentInConflict):
        await run_as(services, omar, a2, lambda actor: amendment.SubmitAmendment(actor=actor))


def adopt_c1(actor: Actor) -> Command:
    return DispositionFeedback(
        actor=actor,
        comment_id="C-1",
        disposition=Disposition.ADOPTED,
        reason="Taxi vouchers are added to 11.3",
    )


async def test_a_command_the_domain_refuses_raises_its_rule_and_records_nothing(
    services: Services, demo: People
) -> None:
    alex = demo["alex"]
    founder = Actor(
        user_id=alex.user_id,
        printed_name=alex.printed_name,
        organization_id="northwind",
        organization_kind=OrganizationKind.SPONSOR,
    )
    command = await founding(
        services, founder, "no-protocol", "A trial with no protocol yet", "Northwind Therapeutics"
    )
    await services.commands.create_trial(founder, command, {"actor": "alex"})
    head = await services.store.head_position()
    target = protocol_target("no-protocol")
    key = IdempotentRequest.of(alex.user_id, "k", "POST", "/revise", {"text": "Age 18 to 75"})

    def revise(actor: Actor) -> Command:
        return protocol.ReviseSection(
            actor=actor, number="5.2", base_revision=1, text="18-75", reason="Widen the range"
        )

    with pytest.raises(ProtocolNotDrafted):
        await services.commands.execute(target, alex.user_id, revise, idempotency=key)
    assert await services.store.head_position() == head
    assert await services.store.stream_version(target.stream_id) == 0
    # A refused command leaves its key unused: the key may carry another request.
    other = IdempotentRequest.of(alex.user_id, "k", "POST", "/draft", {"title": "Draft"})
    drafted = await services.commands.execute(
        target,
        alex.user_id,
        lambda actor: protocol.DraftProtocol(actor=actor, trial_id="no-protocol", title="Draft"),
        idempotency=other,
    )
    assert (drafted.version, drafted.replayed) == (1, False)
