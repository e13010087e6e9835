"""The charter's witnesses: who must cosign the log's checkpoints, and old charters."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from domain.charter import DEFAULT_CHARTER, Charter, Witness, check_charter
from domain.codec import decode, encode
from domain.errors import InvalidCharter

KEY = base64.b64encode(bytes(range(32))).decode()


def test_a_charter_written_before_witnesses_existed_still_reads_and_requires_none() -> None:
    old = encode(DEFAULT_CHARTER)
    assert isinstance(old, dict)
    del old["witnesses"]
    assert decode(Charter, old).witnesses == ()


def test_a_charter_naming_witnesses_keeps_them_through_the_log() -> None:
    witnesses = (Witness(name="ethics.example/witness", public_key=KEY),)
    charter = replace(DEFAULT_CHARTER, witnesses=witnesses)
    check_charter(charter)
    data = encode(charter)
    assert isinstance(data, dict)
    assert decode(Charter, data).witnesses == witnesses


@pytest.mark.parametrize(
    ("witnesses", "problem"),
    [
        ((Witness(name="a b", public_key=KEY),), "without spaces or '+'"),
        ((Witness(name="a+b", public_key=KEY),), "without spaces or '+'"),
        ((Witness(name="", public_key=KEY),), "must be non-empty"),
        ((Witness(name="w", public_key="not base64!"),), "32 bytes of an Ed25519 key"),
        ((Witness(name="w", public_key=base64.b64encode(b"short").decode()),), "32 bytes"),
        ((Witness(name="w", public_key=KEY), Witness(name="w", public_key=KEY)), "unique"),
    ],
)
def test_a_charter_with_an_unusable_witness_is_refused(
    witnesses: tuple[Witness, ...], problem: str
) -> None:
    with pytest.raises(InvalidCharter, match=problem.replace("+", r"\+")):
        check_charter(replace(DEFAULT_CHARTER, witnesses=witnesses))
