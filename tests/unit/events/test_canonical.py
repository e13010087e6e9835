"""The canonical encoding, checked against an independent, generic encoding of the envelope."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.canonical import (
    NotCanonicalJson,
    canonical_json,
    envelope_hash,
    format_timestamp,
    parse_timestamp,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
).filter(lambda value: "\ud800" not in json.dumps(value))


def _independent_canonical(value: Any) -> bytes:
    """The rules of docs/log-format.md, written the slow, obvious way."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: [ord(c) for c in item[0]])
        return b"{" + b",".join(_independent_canonical(k) + b":" + _independent_canonical(v)
                                for k, v in items) + b"}"  # fmt: skip
    if isinstance(value, list):
        return b"[" + b",".join(_independent_canonical(v) for v in value) + b"]"
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


@given(json_values)
def test_canonical_json_follows_the_written_rules(value: Any) -> None:
    try:
        encoded = canonical_json(value)
    except NotCanonicalJson:
        return  # lone surrogates inside keys or strings: refused, as documented
    assert encoded.encode("utf-8") == _independent_canonical(value)
    assert json.loads(encoded) == value


@given(
    data=st.dictionaries(st.text(min_size=1), json_values, max_size=5),
    meta=st.dictionaries(st.text(min_size=1), st.text(), max_size=3),
    position=st.integers(1, 2**40),
    stream_id=st.text(min_size=1, max_size=50),
)
def test_envelope_hash_is_sha256_of_the_canonical_envelope(
    data: dict[str, Any], meta: dict[str, str], position: int, stream_id: str
) -> None:
    try:
        data_json, meta_json = canonical_json(data), canonical_json(meta)
        canonical_json(stream_id)
    except NotCanonicalJson:
        return
    envelope = {
        "position": position,
        "stream_id": stream_id,
        "stream_version": 3,
        "type": "SectionRevised",
        "schema_version": 2,
        "data": data,
        "meta": meta,
        "recorded_at": "2026-11-21T09:30:00.000001Z",
        "prev_hash": "ab" * 32,
    }
    expected = hashlib.sha256(_independent_canonical(envelope)).hexdigest()
    actual = envelope_hash(
        position=position, stream_id=stream_id, stream_version=3, type="SectionRevised",
        schema_version=2, data_json=data_json, meta_json=meta_json,
        recorded_at="2026-11-21T09:30:00.000001Z", prev_hash="ab" * 32,
    )  # fmt: skip
    assert actual == expected


def test_a_known_vector_from_the_log_format_document() -> None:
    digest = envelope_hash(
        position=1, stream_id="trial-1", stream_version=1, type="TrialCreated",
        schema_version=1, data_json='{"title":"Étude A"}', meta_json='{"actor":"u-1"}',
        recorded_at="2026-11-21T09:30:00.000000Z", prev_hash="0" * 64,
    )  # fmt: skip
    text = (
        '{"data":{"title":"Étude A"},"meta":{"actor":"u-1"},"position":1,'
        '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
        '"recorded_at":"2026-11-21T09:30:00.000000Z","schema_version":1,'
        '"stream_id":"trial-1","stream_version":1,"type":"TrialCreated"}'
    )
    assert digest == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("value", [1.5, float("nan"), 2**53, -(2**53), {"a": {"b": [0.1]}}])
def test_values_another_language_could_encode_differently_are_refused(value: Any) -> None:
    with pytest.raises(NotCanonicalJson):
        canonical_json(value)


def test_timestamps_have_one_text_form_in_utc() -> None:
    moment = datetime(2026, 11, 21, 10, 30, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(moment) == "2026-11-21T09:30:00.000005Z"
    assert parse_timestamp(format_timestamp(moment)) == moment.astimezone(UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2026, 11, 21))
