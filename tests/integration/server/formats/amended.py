"""The demo trial taken further: amendments merged through the command service.

``merge_amendments`` merges the demo's A-1 (signed by the sponsor lead once the advocate's
comment has its disposition), then opens, proposes, submits, signs and merges A-2, A-3,
... as the demo's people would: A-2 adds ``subsections`` new subsections with rich text
(paragraphs and lists), later ones revise sections or remove a subsection, with varied
M11 reasons, scopes and enrollment; every fourth is substantial (the ethics committee's
approval recorded too). Used by the USDM tests and by ``bench/formats.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from domain import amendment, engagement, m11
from domain.actor import Actor
from domain.amendment_details import (
    AmendmentDetails,
    AmendmentScope,
    Enrollment,
    EnrollmentUnit,
    ImpactAssessment,
    ProposedChange,
)
from domain.amendment_state import AmendmentState
from domain.approval_policy import SignatureMeaning
from domain.engagement import CommentSubjectKind, Disposition
from domain.event import Command
from domain.m11 import AmendmentReason
from domain.merging import MergeAmendment
from domain.protocol_state import ProtocolState
from server.commands.aggregates import AMENDMENT, PROTOCOL
from server.commands.reactions import BuildCommand
from server.commands.targets import Target, amendment_target, protocol_target, thread_target
from server.demo import AGE_AMENDMENT, DEMO_TRIAL, DemoPerson
from server.services import Services

People = Mapping[str, DemoPerson]

RICH_TEXT = (
    "This subsection sets out what the sites do and why; each site follows it from the"
    " first screening visit on.\nWhere a site cannot, it records why in the source notes."
    "\n\n- the investigator confirms eligibility\n- the site staff record the visit"
    "\n- the sponsor reviews the record within 5 days"
    "\n\n1. Screen\n2. Randomise\n3. Dispense the first dose & record it (<5 minutes)"
)
REASONS = [r for r in AmendmentReason if r is not AmendmentReason.RECRUITMENT_DIFFICULTY]
_NOT_EDITED = m11.PARTICIPANT_FACING_SECTIONS | {"5.2"}


async def run(
    services: Services, person: DemoPerson, target: Target[Any], build: BuildCommand
) -> None:
    await services.commands.execute(
        target, person.user_id, build, meta={"actor": person.user_id, "via": "tests"}
    )


async def merge_amendments(
    services: Services,
    people: People,
    count: int,
    *,
    subsections: int = 3,
    text: str = RICH_TEXT,
) -> None:
    """Merge A-1 to A-``count`` into the demo trial (see the module's docstring)."""
    ivy, sam, elena = people["ivy"], people["sam"], people["elena"]
    thread = thread_target(DEMO_TRIAL, CommentSubjectKind.AMENDMENT, "A-1")
    await run(
        services,
        ivy,
        thread,
        lambda actor: engagement.DispositionFeedback(
            actor=actor,
            comment_id="C-1",
            disposition=Disposition.ADOPTED,
            reason="Taxi vouchers are offered for every clinic visit",
        ),
    )
    await _approve_and_merge(services, sam, elena, "A-1", 1, substantial=False)
    for number in range(2, count + 1):
        amendment_id = f"A-{number}"
        protocol = (
            await services.states.load(PROTOCOL, protocol_target(DEMO_TRIAL).stream_id)
        ).state
        target = amendment_target(DEMO_TRIAL, amendment_id)
        substantial = number % 4 == 0
        details = _details(number, substantial)
        opening = amendment.OpenAmendment
        version = protocol.current_version
        await run(
            services,
            ivy,
            target,
            functools.partial(
                _command, opening, amendment_id=amendment_id, base_version=version, details=details
            ),
        )
        for change in _changes(protocol, number, subsections, text):
            propose = functools.partial(_command, amendment.ProposeSectionChange, change=change)
            await run(services, ivy, target, propose)
        await run(services, ivy, target, lambda actor: amendment.SubmitAmendment(actor=actor))
        await _approve_and_merge(services, sam, elena, amendment_id, number, substantial)


async def _approve_and_merge(
    services: Services,
    lead: DemoPerson,
    ethics: DemoPerson,
    amendment_id: str,
    number: int,
    substantial: bool,
) -> None:
    target = amendment_target(DEMO_TRIAL, amendment_id)
    state: AmendmentState = (await services.states.load(AMENDMENT, target.stream_id)).state
    signed_at = services.clock()
    await run(
        services,
        lead,
        target,
        lambda actor: amendment.SignAmendment(
            actor=actor,
            meaning=SignatureMeaning.APPROVAL,
            content_hash=state.content_hash,
            signed_at=signed_at,
            password_confirmed=True,
        ),
    )
    if substantial:
        await run(
            services,
            ethics,
            target,
            lambda actor: amendment.RecordEthicsApproval(
                actor=actor,
                content_hash=state.content_hash,
                signed_at=signed_at,
                password_confirmed=True,
                meeting_date=signed_at.date(),
                in_favour=7,
                against=1,
                abstaining=0,
                minutes_reference=f"CREC minutes {number}",
            ),
        )
    effective = date(2030, 1, 1) + timedelta(days=number)
    await run(services, lead, target, lambda actor: _merge(actor, effective))


def _command(kind: type[Command], actor: Actor, **fields: Any) -> Command:
    return kind(actor=actor, **fields)


def _merge(actor: Any, effective: date) -> Command:
    return MergeAmendment(actor=actor, effective_date=effective)


def _details(number: int, substantial: bool) -> AmendmentDetails:
    primary = REASONS[number % len(REASONS)]
    secondary = tuple(r for r in (REASONS[(number + 3) % len(REASONS)],) if r is not primary)
    countries = ("DEU", "France") if number % 3 == 0 else ()
    return AmendmentDetails(
        summary=f"Amendment {number}: clarify the conduct of the trial",
        primary_reason=primary,
        secondary_reasons=secondary,
        safety_or_rights_impact=ImpactAssessment(
            likely=substantial, explanation=f"Safety reviewed for amendment {number}"
        ),
        data_reliability_impact=AGE_AMENDMENT.data_reliability_impact,
        enrollment=Enrollment(
            value=number * 3 if number % 2 else min(number, 100),
            unit=EnrollmentUnit.PARTICIPANTS if number % 2 else EnrollmentUnit.PERCENT,
        ),
        scope=AmendmentScope(countries=countries, sites=("St Mary's",) if countries else ()),
    )


def _changes(
    protocol: ProtocolState, number: int, subsections: int, text: str
) -> list[ProposedChange]:
    """A-2 adds the subsections; later ones revise two sections (and A-3 removes one)."""
    document = protocol.document()
    if number == 2:
        parents = [s.number for s in m11.OUTLINE if m11.level(s.number) == 2]
        parents = [p for p in parents if p not in _NOT_EDITED]
        return [
            ProposedChange(
                number=f"{parents[i % len(parents)]}.{50 + i // len(parents)}",
                heading=f"Procedure {i + 1}",
                text=f"Procedure {i + 1}. {text}",
                description="Add the procedures the sites follow",
                rationale="The sites asked for them in writing",
            )
            for i in range(subsections)
        ]
    editable = [n for n in document if n not in _NOT_EDITED and m11.level(n) <= 2]
    changes = [
        ProposedChange(
            number=section,
            heading=document[section].heading,
            text=f"{text}\n\nRevised by amendment {number}.",
            description=f"Revise section {section}",
            rationale=f"Reason {number} for section {section}",
        )
        for section in dict.fromkeys(
            (editable[number % len(editable)], editable[(number * 7) % len(editable)])
        )
    ]
    added = sorted(
        (n for n in document if m11.level(n) == 3 and int(n.split(".")[-1]) >= 50),
        key=m11.sort_key,
    )
    if number == 3 and added:
        removed = document[added[-1]]
        changes.append(
            ProposedChange(
                number=removed.number,
                heading=removed.heading,
                text=None,
                description="Remove a procedure no site uses",
                rationale="Nobody follows it",
            )
        )
    return changes
