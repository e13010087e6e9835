"""Commands the service runs because of events it recorded.

A reaction is registered for an event type; after a command records such an event (and
the process's projections have seen it), the service calls the reaction, which may run
further commands as the same person. A merge changes the protocol, so every amendment
still open in the trial is checked for conflicts with it; a substantial amendment that
went under evaluation alongside others (``ConcurrentModificationNoted``) is linked back
from each of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.actor import Actor
from domain.amendment import CheckForConcurrentModifications, CheckForConflicts
from domain.event import Command
from server.commands.directory import Directory
from server.commands.targets import Target, amendment_target

BuildCommand = Callable[[Actor], Command]


@dataclass(frozen=True, slots=True)
class Reacting:
    """What a reaction is given: where the event happened, and how to run a command
    (as the person whose command recorded it)."""

    trial_id: str
    directory: Directory
    run: Callable[[Target[Any], BuildCommand], Awaitable[object]]


Reaction = Callable[[Reacting], Awaitable[None]]


async def check_open_amendments(reacting: Reacting) -> None:
    """Every amendment still open in the trial is checked against the merged protocol."""
    entry = reacting.directory.trial(reacting.trial_id)
    for amendment_id in sorted(entry.open_amendments if entry else ()):
        target = amendment_target(reacting.trial_id, amendment_id)
        await reacting.run(target, lambda actor: CheckForConflicts(actor=actor))


async def link_concurrent_modifications(reacting: Reacting) -> None:
    """Every amendment still open in the trial links to the substantial amendments under
    evaluation alongside it (only a substantial one under evaluation records anything)."""
    entry = reacting.directory.trial(reacting.trial_id)
    for amendment_id in sorted(entry.open_amendments if entry else ()):
        target = amendment_target(reacting.trial_id, amendment_id)
        await reacting.run(target, lambda actor: CheckForConcurrentModifications(actor=actor))


REACTIONS: Mapping[str, Sequence[Reaction]] = {
    "AmendmentMerged": (check_open_amendments,),
    "ConcurrentModificationNoted": (link_concurrent_modifications,),
}
"""The reactions of a serving process, by the event type they follow."""
