"""Every event type of the domain by name, and their JSON form for the log.

The server stores an event as ``(event_type, schema_version, to_data(event))`` and
reads it back with ``from_data(event_type, data, schema_version)`` after upcasting old
shapes. ``to_data`` yields plain JSON (str, int, bool, None, lists, objects; never
floats), ready for the log's canonical encoding.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from domain.account_events import AccountEvent
from domain.amendment_events import AmendmentEvent
from domain.codec import JsonValue, decode, encode
from domain.dispute import DisputeEvent
from domain.engagement import EngagementEvent
from domain.erasure_requests import ErasureRequestEvent
from domain.event import Event
from domain.frozen import frozen_map
from domain.imports import ImportEvent
from domain.motion import MotionEvent
from domain.personal_data import PersonalDataErased
from domain.protocol_events import ProtocolEvent
from domain.shared_text import SharedTextEvent
from domain.site_events import SiteEvent
from domain.workspace_events import WorkspaceEvent

DomainEvent = (
    WorkspaceEvent
    | ProtocolEvent
    | AmendmentEvent
    | MotionEvent
    | DisputeEvent
    | EngagementEvent
    | ImportEvent
    | SharedTextEvent
    | AccountEvent
    | PersonalDataErased
    | ErasureRequestEvent
    | SiteEvent
)
"""Any event of the domain."""

EVENT_TYPES: Mapping[str, type[Event]] = frozen_map(
    (cls.event_type, cls)
    for union in (
        WorkspaceEvent,
        ProtocolEvent,
        AmendmentEvent,
        MotionEvent,
        DisputeEvent,
        EngagementEvent,
        ImportEvent,
        SharedTextEvent,
        AccountEvent,
        PersonalDataErased,
        ErasureRequestEvent,
        SiteEvent,
    )
    for cls in typing.get_args(union) or (union,)
)
"""Event type name -> event class."""


class UnknownEventType(LookupError):
    """No event of the domain has this type name."""


class SchemaVersionMismatch(ValueError):
    """The data has another schema version than the event class; upcast it first."""


def to_data(event: Event) -> dict[str, JsonValue]:
    """The event's fields as a JSON object."""
    data = encode(event)
    assert isinstance(data, dict)
    return data


def from_data(
    event_type: str, data: Mapping[str, Any], schema_version: int | None = None
) -> DomainEvent:
    """The event of type ``event_type`` with ``data``; ``schema_version``, when given,
    must be the class's current one (old versions are upcast before this)."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEventType(f"no domain event is called {event_type!r}")
    if schema_version is not None and schema_version != cls.schema_version:
        raise SchemaVersionMismatch(
            f"{event_type} data is version {schema_version}; the domain reads version"
            f" {cls.schema_version}"
        )
    return typing.cast(DomainEvent, decode(cls, data))
