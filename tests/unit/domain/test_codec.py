"""Dataclasses to plain JSON and back, refusing floats and data that does not fit."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

import pytest

from domain.codec import DataDoesNotFit, UnencodableValue, decode, encode
from domain.frozen import appended, frozen_list, frozen_map


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True, slots=True, kw_only=True)
class Inner:
    name: str
    colour: Colour


@dataclass(frozen=True, slots=True, kw_only=True)
class Outer:
    count: int
    flag: bool
    note: str | None
    items: tuple[Inner, ...]
    tags: frozenset[str]
    by_colour: Mapping[Colour, int] = field(default_factory=frozen_map)
    optional_inner: Inner | None = None


SAMPLE = Outer(
    count=3,
    flag=True,
    note=None,
    items=(Inner(name="a", colour=Colour.RED),),
    tags=frozenset({"b", "a"}),
    by_colour=frozen_map({Colour.BLUE: 2}),
    optional_inner=Inner(name="z", colour=Colour.BLUE),
)


def test_encoding_gives_plain_json_with_sorted_sets_and_enum_values() -> None:
    assert encode(SAMPLE) == {
        "count": 3,
        "flag": True,
        "note": None,
        "items": [{"name": "a", "colour": "red"}],
        "tags": ["a", "b"],
        "by_colour": {"blue": 2},
        "optional_inner": {"name": "z", "colour": "blue"},
    }
    assert type(encode(Colour.RED)) is str


def test_decoding_rebuilds_the_same_value() -> None:
    data = encode(SAMPLE)
    assert isinstance(data, dict)
    assert decode(Outer, data) == SAMPLE


def test_fields_with_defaults_may_be_absent() -> None:
    assert decode(
        Outer, {"count": 1, "flag": False, "note": "n", "items": [], "tags": []}
    ) == Outer(count=1, flag=False, note="n", items=(), tags=frozenset())


def test_floats_are_refused() -> None:
    with pytest.raises(UnencodableValue, match="floats cannot be logged"):
        encode({"share": 0.5})


def test_unknown_types_and_keys_neither_text_nor_whole_numbers_are_refused() -> None:
    with pytest.raises(UnencodableValue):
        encode(object())
    with pytest.raises(UnencodableValue, match="mapping keys must be strings or ints"):
        encode({(1, 2): "pair"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Numbered:
    by_number: Mapping[int, str]


def test_whole_number_keys_are_written_in_decimal_and_read_back_as_numbers() -> None:
    assert encode(Numbered(by_number=frozen_map({2: "b", 10: "j"}))) == {
        "by_number": {"2": "b", "10": "j"}
    }
    assert decode(Numbered, {"by_number": {"2": "b"}}).by_number == {2: "b"}
    with pytest.raises(DataDoesNotFit, match="'two' is not a whole number"):
        decode(Numbered, {"by_number": {"two": "b"}})


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"count": "3", "flag": True, "note": None, "items": [], "tags": []}, "Outer.count"),
        ({"count": True, "flag": True, "note": None, "items": [], "tags": []}, "expected int"),
        ({"count": 1, "flag": True, "note": None, "items": [], "tags": [], "x": 1}, "unknown"),
        ({"count": 1, "flag": True, "items": [], "tags": []}, "missing fields ['note']"),
        (
            {"count": 1, "flag": True, "note": None, "items": [{"name": "a", "colour": "green"}]}
            | {"tags": []},
            "'green' is not a Colour",
        ),
    ],
)
def test_data_that_does_not_fit_is_refused_with_its_place(
    data: dict[str, object], problem: str
) -> None:
    with pytest.raises(DataDoesNotFit, match=re.escape(problem)):
        decode(Outer, data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scheduled:
    day: date
    at: datetime


def test_dates_and_aware_times_round_trip_through_text() -> None:
    value = Scheduled(day=date(2026, 3, 1), at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    data = encode(value)
    assert data == {"day": "2026-03-01", "at": "2026-03-01T09:30:00.000000Z"}
    assert isinstance(data, dict)
    assert decode(Scheduled, data) == value


def test_a_time_with_an_offset_is_read_as_the_same_instant_in_utc() -> None:
    decoded = decode(Scheduled, {"day": "2026-03-01", "at": "2026-03-01T11:30:00+02:00"})
    assert decoded.at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert decoded.at.tzinfo is UTC


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "2026-03-01", "at": "2026-03-01T09:30:00"}, "has no time zone"),
        ({"day": "2026-03-01", "at": "soon"}, "is not an ISO 8601 date and time"),
        ({"day": "2026-13-01", "at": "2026-03-01T09:30:00Z"}, "is not a date"),
        ({"day": "2026-03-01T00:00:00Z", "at": "2026-03-01T09:30:00Z"}, "is not a date"),
        ({"day": 20260301, "at": "2026-03-01T09:30:00Z"}, "expected str"),
    ],
)
def test_malformed_dates_and_times_are_refused_with_the_reason(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(DataDoesNotFit, match=message):
        decode(Scheduled, data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Growing:
    remarks: Sequence[str] = field(default_factory=frozen_list)
    by_id: Mapping[str, int] = field(default_factory=frozen_map)


def test_persistent_lists_and_maps_round_trip_and_stay_cheap_to_extend() -> None:
    value = Growing(remarks=appended(frozen_list(["a"]), "b"), by_id=frozen_map({"y": 1, "x": 2}))
    data = encode(value)
    assert data == {"remarks": ["a", "b"], "by_id": {"y": 1, "x": 2}}
    decoded = decode(Growing, data)
    assert list(appended(decoded.remarks, "c")) == ["a", "b", "c"]
    assert list(decoded.by_id) == ["y", "x"]
