"""Founding a trial from a USDM file: the plan read, then two commands through the service.

The importer founds the trial as founding always works (``CreateTrial``: their
organization is admitted and they become its first trial admin), then, as that admin,
drafts its protocol from the file in one append on the protocol stream
(``domain.imports.ImportProtocol``: the drafted outline, the subsections, and the record
of the import). The protocol stream's usual kind decides only protocol commands, so the
import brings its own :data:`IMPORTING`, which folds the same protocol state.

Nothing is recorded unless the whole import can be: the file is read and checked first
(:func:`server.formats.usdm_import.read_usdm`), and the import is decided once on an
empty protocol before the trial is founded, so no rule of the domain can refuse its second
step after its first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain import protocol
from domain.actor import Actor
from domain.event import Command
from domain.imports import ImportProtocol, ImportRecord, decide_import
from domain.protocol import NEW_PROTOCOL, ProtocolState
from domain.roles import Role
from domain.streams import StreamKind, StreamName
from domain.workspace import CreateTrial, TrainingRecord
from server.commands.aggregates import AggregateKind, Decision, Situation
from server.commands.service import CommandService
from server.commands.targets import Target
from server.formats.usdm_import import ImportPlan


async def _decide(situation: Situation, state: ProtocolState, command: Command) -> Decision:
    if not isinstance(command, ImportProtocol):
        raise TypeError(f"{type(command).__name__} is not an import")
    return {str(situation.stream): decide_import(state, command)}


IMPORTING: AggregateKind[ProtocolState] = AggregateKind(
    "protocol", NEW_PROTOCOL, protocol.evolve, _decide
)
"""The protocol stream, deciding an import."""


@dataclass(frozen=True, slots=True)
class Founding:
    """Who founds the imported trial, and how it is named."""

    trial_id: str
    founder: Actor
    organization_name: str
    training: tuple[TrainingRecord, ...]
    """The founder's training as a system administrator attested it for their account
    (``server.accounts.account_training.founder_training``), never as the request says."""
    founded_at: datetime
    """The server's clock when the founding was asked for."""
    title: str | None = None
    """The trial's title (default: the file's official title)."""


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import recorded."""

    trial_id: str
    position: int
    record: ImportRecord


def _command(plan: ImportPlan, founding: Founding, actor: Actor) -> ImportProtocol:
    return ImportProtocol(
        actor=actor,
        trial_id=founding.trial_id,
        title=plan.title,
        texts=plan.texts,
        subsections=plan.subsections,
        record=plan.record,
    )


async def import_trial(
    commands: CommandService, plan: ImportPlan, founding: Founding, meta: Mapping[str, Any]
) -> Imported:
    """Found the trial and draft its protocol from ``plan`` (see the module's docstring);
    a refusal (a DomainError, a trial id taken) records nothing."""
    admin = Actor(
        user_id=founding.founder.user_id,
        printed_name=founding.founder.printed_name,
        organization_id=founding.founder.organization_id,
        organization_kind=founding.founder.organization_kind,
        roles=frozenset({Role.TRIAL_ADMIN}),
    )
    decide_import(NEW_PROTOCOL, _command(plan, founding, admin))  # refuses before founding
    create = CreateTrial(
        actor=founding.founder,
        trial_id=founding.trial_id,
        title=founding.title or plan.title,
        organization_name=founding.organization_name,
        founder_training=founding.training,
        founded_at=founding.founded_at,
    )
    await commands.create_trial(founding.founder, create, meta)
    target = Target(IMPORTING, StreamName(founding.trial_id, StreamKind.PROTOCOL))
    outcome = await commands.execute(
        target, founding.founder.user_id, lambda actor: _command(plan, founding, actor), meta=meta
    )
    assert outcome.position is not None  # an import always records its events
    return Imported(founding.trial_id, outcome.position, plan.record)


def placement_report(record: ImportRecord) -> dict[str, Any]:
    """What went where, as JSON: every part of the source's narrative, and the rest."""
    return {
        "file": {
            "name": record.file_name,
            "sha256": record.file_sha256,
            "bytes": record.file_bytes,
            "format": record.format,
            "system": record.system,
        },
        "study": record.study_name,
        "placements": [
            {
                "source_number": p.source_number,
                "source_title": p.source_title,
                "placed": p.rule.value,
                "section": p.number,
                "notes": list(p.notes),
            }
            for p in record.placements
        ],
        "holding_section": record.holding,
        "amendments": [{"number": a.number, "summary": a.summary} for a in record.amendments],
        "titles": [t.text for t in record.titles],
        "identifiers": [i.text for i in record.identifiers],
        "organizations": [o.name for o in record.organizations],
    }


def counts(record: ImportRecord) -> Sequence[tuple[str, int]]:
    """How many parts of the narrative each rule placed."""
    found: dict[str, int] = {}
    for placement in record.placements:
        found[placement.rule.value] = found.get(placement.rule.value, 0) + 1
    return sorted(found.items())
