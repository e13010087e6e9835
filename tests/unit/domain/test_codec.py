"""Dataclasses to plain JSON and back, refusing floats and data that does not fit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import pytest

from domain.codec import DataDoesNotFit, UnencodableValue, decode, encode
from domain.frozen import frozen_map


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


def test_unknown_types_and_non_string_keys_are_refused() -> None:
    with pytest.raises(UnencodableValue):
        encode(object())
    with pytest.raises(UnencodableValue, match="mapping keys must be strings"):
        encode({1: "one"})


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
