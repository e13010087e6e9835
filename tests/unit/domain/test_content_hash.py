"""Content hashes: SHA-256 over canonical JSON, the same for the same value."""

from __future__ import annotations

import hashlib

import pytest

from domain.codec import UnencodableValue
from domain.content_hash import canonical_json, content_hash
from domain.protocol_events import SectionText


def test_canonical_json_sorts_keys_and_drops_white_space() -> None:
    assert canonical_json({"b": 1, "a": ["é", None, True]}) == '{"a":["é",null,true],"b":1}'


def test_the_hash_is_sha256_of_the_canonical_json() -> None:
    text = SectionText(number="5.2", heading="Inclusion Criteria", text="Age 18")
    expected = hashlib.sha256(canonical_json(text).encode()).hexdigest()
    assert content_hash(text) == f"sha256:{expected}"


def test_equal_values_hash_alike_and_any_difference_shows() -> None:
    one = {"5.2": SectionText(number="5.2", heading="H", text="a")}
    assert content_hash(one) == content_hash(dict(one))
    assert content_hash(one) != content_hash(
        {"5.2": SectionText(number="5.2", heading="H", text="b")}
    )


def test_floats_cannot_be_hashed() -> None:
    with pytest.raises(UnencodableValue):
        content_hash({"enrollment": 40.5})
