"""Integers wider than 64 bits read as orjson read them (server/http/json_numbers.py)."""

from __future__ import annotations

import msgspec
import pytest

from server.http.json_numbers import NumberTooLarge, wide_integers_as_floats


def read(raw: bytes) -> object:
    return wide_integers_as_floats(raw, msgspec.json.decode(raw))


def test_64_bit_integers_stay_integers_and_wider_ones_become_floats() -> None:
    raw = b'{"a":[18446744073709551616,{"b":-9223372036854775809}],"c":18446744073709551615}'
    assert read(raw) == {
        "a": [float(2**64), {"b": float(-(2**63) - 1)}],
        "c": 2**64 - 1,
    }
    assert read(b"-9223372036854775808") == -(2**63)
    assert read(b"18446744073709551616") == float(2**64)
    assert read(b'{"t":true,"s":"12345678901234567890123"}') == {
        "t": True,
        "s": "12345678901234567890123",
    }


def test_an_integer_beyond_a_double_is_refused() -> None:
    with pytest.raises(NumberTooLarge):
        read(b"[1" + b"0" * 400 + b"]")
