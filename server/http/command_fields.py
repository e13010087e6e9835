"""What a command route is: its command, its action, and where each field comes from.

A field comes from the JSON body unless the route says otherwise: the path, the server's
clock, a fresh id (unless the body names one), or the signer's re-entered password. The
body's schema, validation and dispatch all read this one description.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.event import Command
from rbac import Action
from server.http.targets import PathTarget


class Source(enum.Enum):
    """Where the server takes a command field from, when not from the body."""

    PATH = "path"
    NOW = "now"
    NEW_ID = "new id"
    PASSWORD = "password"


@dataclass(frozen=True, slots=True)
class CommandRoute:
    """One command over HTTP."""

    name: str
    method: str
    path: str
    command: type[Command]
    action: Action
    target: Callable[[Mapping[str, str]], PathTarget]
    summary: str
    sources: Mapping[str, Source] = field(default_factory=dict)
    created: bool = False


def path_parameters(path: str) -> list[str]:
    """The ``{names}`` in a route's path, in order."""
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


_SERVER_SUPPLIED = frozenset({Source.PATH, Source.NOW, Source.PASSWORD})


def command_fields(route: CommandRoute) -> dict[str, Any]:
    """Every field of the route's command but the actor, with its type hint."""
    hints = _COMMAND_HINTS.get(route.command)
    if hints is None:
        # get_type_hints evaluates every annotation: once per command class is enough.
        every = typing.get_type_hints(route.command)
        hints = _COMMAND_HINTS[route.command] = {n: h for n, h in every.items() if n != "actor"}
    return dict(hints)


_COMMAND_HINTS: dict[type[Command], dict[str, Any]] = {}


def field_source(route: CommandRoute, name: str) -> Source | None:
    """Where the server takes field ``name`` from (None: the body)."""
    if name in path_parameters(route.path):
        return Source.PATH
    return route.sources.get(name)


def body_fields(route: CommandRoute) -> dict[str, Any]:
    """The command's fields the client sends, with their type hints."""
    return {
        name: hint
        for name, hint in command_fields(route).items()
        if field_source(route, name) not in _SERVER_SUPPLIED
    }


def needs_password(route: CommandRoute) -> bool:
    """True when the route re-authenticates its caller (signing)."""
    return Source.PASSWORD in route.sources.values()


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """A route's fields worked out once, for every request it serves."""

    fields: tuple[tuple[str, Any, Source | None], ...]
    """Each command field but the actor: name, type hint, and where it comes from."""
    accepted: frozenset[str]
    """What the body may hold: the body fields, and ``password`` when the route signs."""


def field_plan(route: CommandRoute) -> FieldPlan:
    """The route's :class:`FieldPlan`."""
    fields = tuple(
        (name, hint, field_source(route, name)) for name, hint in command_fields(route).items()
    )
    accepted = set(body_fields(route)) | ({"password"} if needs_password(route) else set())
    return FieldPlan(fields, frozenset(accepted))
