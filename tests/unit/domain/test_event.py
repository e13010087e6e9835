"""The event base class and folding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.event import Event, fold_events


@dataclass(frozen=True, slots=True, kw_only=True)
class ThingHappened(Event):
    what: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RenamedThing(Event):
    event_type: ClassVar[str] = "ThingRenamed"
    schema_version: ClassVar[int] = 2
    name: str


def test_the_event_type_is_the_class_name_unless_given() -> None:
    assert ThingHappened.event_type == "ThingHappened"
    assert ThingHappened.schema_version == 1
    assert RenamedThing.event_type == "ThingRenamed"
    assert RenamedThing.schema_version == 2


def test_folding_applies_each_event_in_order() -> None:
    events = [ThingHappened(what="a"), ThingHappened(what="b")]
    nothing_seen: tuple[str, ...] = ()
    assert fold_events(lambda seen, e: (*seen, e.what), nothing_seen, events) == ("a", "b")
