"""Frozen dataclasses to plain JSON values and back, driven by their type hints.

Supported field types: ``str``, ``int``, ``bool``, ``None``, ``str`` enums, ``X | None``,
``tuple[X, ...]``, ``frozenset[X]``, ``Mapping[K, V]`` with ``str``-valued keys, ``date``
(``YYYY-MM-DD``), ``datetime`` (ISO 8601 text with a time zone; decoded as UTC) and nested
dataclasses of these. Commands arrive this way from the server's JSON bodies. Floats are
refused on the way out, because the log's canonical
encoding forbids them; anything that does not match its type is refused on the way in.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, TypeVar

from domain.frozen import frozen_map
from domain.timestamps import date_text, instant_text

JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]
"""What the log can hold (no floats)."""

T = TypeVar("T")


class UnencodableValue(TypeError):
    """A value has no place in the log (a float, or a type the codec does not know)."""


class DataDoesNotFit(ValueError):
    """Stored data does not fit the shape its type declares."""


def encode(value: object) -> JsonValue:
    """The plain JSON form of ``value``; frozensets become sorted lists."""
    if value is None or isinstance(value, bool | int | str):
        # A str enum is a str: json would write its value, but keep the plain str.
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, datetime):
        return instant_text(value, "a time")
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, float):
        raise UnencodableValue(f"floats cannot be logged: {value!r}; use an int or a str")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: encode(getattr(value, field.name)) for field in _fields(type(value))}
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if isinstance(value, frozenset):
        return sorted((encode(item) for item in value), key=_sort_key)
    if isinstance(value, Mapping):
        return {_encode_key(key): encode(item) for key, item in value.items()}
    raise UnencodableValue(f"{type(value).__name__} values cannot be logged: {value!r}")


def decode(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild the dataclass ``cls`` from the data :func:`encode` made of it."""
    return typing.cast(T, _decode(cls, data, cls.__name__))


def _encode_key(key: object) -> str:
    if not isinstance(key, str):
        raise UnencodableValue(f"mapping keys must be strings, got {key!r}")
    return str(key.value) if isinstance(key, enum.Enum) else key


def _sort_key(item: JsonValue) -> str:
    return json.dumps(item, sort_keys=True)


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(dataclasses.fields(cls))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(annotation: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin is types.UnionType or origin is typing.Union:
        return _decode_optional(annotation, data, where)
    if origin is tuple:
        item_type = typing.get_args(annotation)[0]
        return tuple(_decode(item_type, item, f"{where}[]") for item in _expect(list, data, where))
    if origin is frozenset:
        item_type = typing.get_args(annotation)[0]
        items = _expect(list, data, where)
        return frozenset(_decode(item_type, item, f"{where}[]") for item in items)
    if origin is Mapping:
        key_type, value_type = typing.get_args(annotation)
        return frozen_map(
            (_decode(key_type, key, f"{where} key"), _decode(value_type, item, f"{where}.{key}"))
            for key, item in _expect(dict, data, where).items()
        )
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _decode_dataclass(annotation, _expect(dict, data, where), where)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        try:
            return annotation(_expect(str, data, where))
        except ValueError:
            raise DataDoesNotFit(f"{where}: {data!r} is not a {annotation.__name__}") from None
    if annotation is datetime:
        return _decode_instant(_expect(str, data, where), where)
    if annotation is date:
        return _decode_date(_expect(str, data, where), where)
    if annotation is type(None):
        return _expect(type(None), data, where)
    if annotation in (str, int, bool):
        return _expect(annotation, data, where)
    raise DataDoesNotFit(f"{where}: the codec cannot decode {annotation!r}")


def _decode_optional(annotation: Any, data: Any, where: str) -> Any:
    members = [member for member in typing.get_args(annotation) if member is not type(None)]
    if len(members) != 1:
        raise DataDoesNotFit(f"{where}: only `X | None` unions are supported, not {annotation}")
    return None if data is None else _decode(members[0], data, where)


def _decode_dataclass(cls: type, data: dict[str, Any], where: str) -> Any:
    hints = _hints(cls)
    fields = {field.name for field in _fields(cls)}
    unknown = data.keys() - fields
    if unknown:
        raise DataDoesNotFit(f"{where}: unknown fields {sorted(unknown)}")
    missing = {
        field.name
        for field in _fields(cls)
        if field.name not in data
        and field.default is dataclasses.MISSING
        and field.default_factory is dataclasses.MISSING
    }
    if missing:
        raise DataDoesNotFit(f"{where}: missing fields {sorted(missing)}")
    values = {name: _decode(hints[name], item, f"{where}.{name}") for name, item in data.items()}
    return cls(**values)


def _decode_instant(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DataDoesNotFit(f"{where}: {text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise DataDoesNotFit(f"{where}: {text!r} has no time zone (add Z or an offset)")
    return moment.astimezone(UTC)


def _decode_date(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else _not_a_date(text, where)
    except ValueError:
        return _not_a_date(text, where)


def _not_a_date(text: str, where: str) -> date:
    raise DataDoesNotFit(f"{where}: {text!r} is not a date (YYYY-MM-DD)")


def _expect(kind: type[T], data: Any, where: str) -> T:
    # bool is an int in Python, but not in a stored event.
    if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
        raise DataDoesNotFit(f"{where}: expected {kind.__name__}, got {data!r}")
    return data
