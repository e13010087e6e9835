"""Frozen dataclasses to plain JSON values and back, driven by their type hints.

Supported field types: ``str``, ``int``, ``bool``, ``None``, ``str`` enums, ``X | None``,
``tuple[X, ...]``, ``Sequence[X]`` (a :func:`domain.frozen.frozen_list`), ``frozenset[X]``,
``Mapping[K, V]`` with ``str``-valued or ``int`` keys (written in decimal), ``date``
(``YYYY-MM-DD``), ``datetime`` (ISO 8601 text with a time zone; decoded as UTC) and nested
dataclasses of these. Commands arrive this way from the server's JSON bodies. Floats are
refused on the way out, because the log's canonical
encoding forbids them; anything that does not match its type is refused on the way in.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, TypeVar

from domain.frozen import frozen_list, frozen_map
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
    if isinstance(value, Sequence):  # a str was answered above
        return [encode(item) for item in value]
    if isinstance(value, frozenset):
        return sorted((encode(item) for item in value), key=_sort_key)
    if isinstance(value, Mapping):
        return {_encode_key(key): encode(item) for key, item in value.items()}
    raise UnencodableValue(f"{type(value).__name__} values cannot be logged: {value!r}")


def decode(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild the dataclass ``cls`` from the data :func:`encode` made of it."""
    return typing.cast(T, _decode(cls, data, cls.__name__))


def decode_all_but(cls: type[T], data: Mapping[str, Any], *, later: str) -> Callable[..., T]:
    """Decode every field of the dataclass ``cls`` but ``later`` from ``data``, refused as
    :func:`decode` refuses; the answer makes the value once ``later`` is known (a command's
    actor: known once the server has loaded the trial), as ``make(actor=...)``."""
    dataclass: type = cls
    fields = _fields_decoder(dataclass, frozenset({later}))(data, cls.__name__)
    return functools.partial(cls, **fields)


def _encode_key(key: object) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)  # JSON keys are text: an int key is written in decimal
    if not isinstance(key, str):
        raise UnencodableValue(f"mapping keys must be strings or ints, got {key!r}")
    return str(key.value) if isinstance(key, enum.Enum) else key


def _sort_key(item: JsonValue) -> str:
    return json.dumps(item, sort_keys=True)


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(dataclasses.fields(cls))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


_COLLECTIONS: dict[Any, Callable[[Iterable[Any]], Any]] = {
    tuple: tuple,
    frozenset: frozenset,
    Sequence: frozen_list,
}
"""What a decoded list becomes, by the annotation's origin."""

Decoder = Callable[[Any, str], Any]
"""Decodes ``data`` found at ``where`` (named in errors) into one annotated type."""


def _decode(annotation: Any, data: Any, where: str) -> Any:
    return _decoder(annotation)(data, where)


@cache
def _decoder(annotation: Any) -> Decoder:
    """The decoder for ``annotation``, built once per annotation: reading the type hints
    on every value was most of the time of reading the log back."""
    origin = typing.get_origin(annotation)
    if origin is types.UnionType or origin is typing.Union:
        return _optional_decoder(annotation)
    if origin is tuple or origin is frozenset or origin is Sequence:
        item = _decoder(typing.get_args(annotation)[0])
        collect: Callable[[Iterable[Any]], Any] = _COLLECTIONS[origin]
        return lambda data, where: collect(
            item(value, f"{where}[]") for value in _expect(list, data, where)
        )
    if origin is Mapping:
        key_annotation, value_annotation = typing.get_args(annotation)
        key_type = _int_key if key_annotation is int else _decoder(key_annotation)
        value_type = _decoder(value_annotation)
        return lambda data, where: frozen_map(
            (key_type(key, f"{where} key"), value_type(value, f"{where}.{key}"))
            for key, value in _expect(dict, data, where).items()
        )
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _dataclass_decoder(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_decoder(annotation)
    if annotation is datetime:
        return lambda data, where: _decode_instant(_expect(str, data, where), where)
    if annotation is date:
        return lambda data, where: _decode_date(_expect(str, data, where), where)
    if annotation is type(None) or annotation in (str, int, bool):
        kind = type(None) if annotation is type(None) else annotation
        return lambda data, where: _expect(kind, data, where)
    return lambda data, where: _refuse(f"{where}: the codec cannot decode {annotation!r}")


def _int_key(data: Any, where: str) -> int:
    text = _expect(str, data, where)
    if not text.lstrip("-").isdigit():
        raise DataDoesNotFit(f"{where}: {text!r} is not a whole number")
    return int(text)


def _refuse(problem: str) -> Any:
    raise DataDoesNotFit(problem)


def _optional_decoder(annotation: Any) -> Decoder:
    members = [member for member in typing.get_args(annotation) if member is not type(None)]
    if len(members) != 1:
        unsupported = f"only `X | None` unions are supported, not {annotation}"
        return lambda data, where: _refuse(f"{where}: {unsupported}")
    inner = _decoder(members[0])
    return lambda data, where: None if data is None else inner(data, where)


def _enum_decoder(cls: type[enum.Enum]) -> Decoder:
    def decode_member(data: Any, where: str) -> Any:
        try:
            return cls(_expect(str, data, where))
        except ValueError:
            raise DataDoesNotFit(f"{where}: {data!r} is not a {cls.__name__}") from None

    return decode_member


def _dataclass_decoder(cls: type) -> Decoder:
    decode_fields = _fields_decoder(cls, frozenset())

    def decode_dataclass(data: Any, where: str) -> Any:
        return cls(**decode_fields(data, where))

    return decode_dataclass


@cache
def _fields_decoder(cls: type, omitted: frozenset[str]) -> Callable[[Any, str], dict[str, Any]]:
    """Decodes the fields of ``cls`` but ``omitted`` from a JSON object, into keywords."""
    names = frozenset(field.name for field in _fields(cls)) - omitted
    required = (
        frozenset(
            field.name
            for field in _fields(cls)
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        )
        - omitted
    )
    # Field decoders are looked up on first use: a dataclass may refer to itself.
    fields: dict[str, Decoder] = {}

    def decode_fields(data: Any, where: str) -> dict[str, Any]:
        data = _expect(dict, data, where)
        if not names.issuperset(data):
            raise DataDoesNotFit(f"{where}: unknown fields {sorted(data.keys() - names)}")
        if not required.issubset(data):
            raise DataDoesNotFit(f"{where}: missing fields {sorted(required - data.keys())}")
        if not fields:
            fields.update((name, _decoder(hint)) for name, hint in _hints(cls).items())
        return {name: fields[name](value, f"{where}.{name}") for name, value in data.items()}

    return decode_fields


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
