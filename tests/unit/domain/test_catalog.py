"""Every domain event is registered, named in the past tense, and survives the log."""

from __future__ import annotations

import dataclasses
import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.catalog import (
    EVENT_TYPES,
    SchemaVersionMismatch,
    UnknownEventType,
    from_data,
    to_data,
)
from domain.event import Event

EVENT_CLASSES = sorted(EVENT_TYPES.values(), key=lambda cls: cls.__name__)


def _defined_event_classes() -> set[type[Event]]:
    """Every event class the domain's modules define (slotted dataclasses replace the
    class they were declared as, so the declared one is skipped)."""
    found: set[type[Event]] = set()
    pending = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        module = sys.modules[cls.__module__]
        if module.__name__.startswith("domain.") and getattr(module, cls.__name__, None) is cls:
            found.add(cls)
    return found


def test_the_catalog_holds_every_event_class_of_the_domain() -> None:
    assert set(EVENT_TYPES.values()) == _defined_event_classes()
    assert all(name == cls.event_type for name, cls in EVENT_TYPES.items())


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)
def test_events_are_immutable_versioned_and_named_in_the_past_tense(cls: type[Event]) -> None:
    irregular = ("Cast", "Withdrawn", "Reset")
    assert cls.__name__.endswith(("ed", *irregular)), "events are named in the past tense"
    assert dataclasses.fields(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert "__slots__" in cls.__dict__
    assert isinstance(cls.schema_version, int)
    assert cls.schema_version >= 1


def _only_json(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_json(item) for item in value)
    return value is None or isinstance(value, bool | int | str)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_event_survives_the_trip_through_json(cls: type[Event], data: st.DataObject) -> None:
    event = data.draw(st.from_type(cls))
    stored = json.loads(json.dumps(to_data(event)))
    assert _only_json(stored)
    assert from_data(cls.event_type, stored, cls.schema_version) == event


def test_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(UnknownEventType, match="SomethingHappened"):
        from_data("SomethingHappened", {})


def test_data_of_another_schema_version_must_be_upcast_first() -> None:
    with pytest.raises(
        SchemaVersionMismatch, match="VoteCast data is version 2; the domain reads version 1"
    ):
        from_data("VoteCast", {}, schema_version=2)
