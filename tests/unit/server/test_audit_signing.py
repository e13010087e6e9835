"""Checkpoints signed with the server's key verify with it, and with nothing else."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.canonical import GENESIS_HASH
from server.audit.signing import Checkpoint, SigningKey, load_public_key

SIGNED_AT = "2026-11-21T09:30:00.000000Z"


def test_a_key_is_created_once_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing-key.pem"
    first = SigningKey(path)
    checkpoint = first.sign(12, "a" * 64, SIGNED_AT)
    again = SigningKey(path)
    assert again.key_id == first.key_id
    assert checkpoint.verifies_with(load_public_key(again.public_key_pem()))
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_signed_bytes_follow_the_log_format(tmp_path: Path) -> None:
    key = SigningKey(tmp_path / "k.pem")
    checkpoint = key.sign(3, GENESIS_HASH, SIGNED_AT)
    raw = key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert checkpoint.key_id == hashlib.sha256(raw).hexdigest()[:16]
    expected = (
        f'{{"hash":"{GENESIS_HASH}","key_id":"{checkpoint.key_id}","position":3,'
        f'"signed_at":"{SIGNED_AT}"}}'
    ).encode()
    key.public_key.verify(base64.b64decode(checkpoint.signature), expected)


@pytest.mark.parametrize(
    "change",
    [{"position": 13}, {"hash": "b" * 64}, {"signed_at": "2027-01-01T00:00:00.000000Z"}],
)
def test_a_changed_checkpoint_does_not_verify(tmp_path: Path, change: dict[str, object]) -> None:
    key = SigningKey(tmp_path / "k.pem")
    checkpoint = key.sign(12, "a" * 64, SIGNED_AT)
    assert not replace(checkpoint, **change).verifies_with(key.public_key)  # type: ignore[arg-type]


def test_another_key_does_not_verify(tmp_path: Path) -> None:
    checkpoint = SigningKey(tmp_path / "k.pem").sign(12, "a" * 64, SIGNED_AT)
    assert not checkpoint.verifies_with(Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    "data",
    [None, [], {"position": "12"}, {"position": 12, "hash": "a", "signed_at": "x", "key_id": "k"}],
)
def test_a_checkpoint_that_does_not_fit_is_refused(data: object) -> None:
    with pytest.raises(ValueError, match="a checkpoint has"):
        Checkpoint.from_json(data)


def test_a_checkpoint_with_its_signed_note_round_trips_and_one_without_stays_as_it_was(
    tmp_path: Path,
) -> None:
    from server.audit.signed_note import CheckpointBody

    key = SigningKey(tmp_path / "k.pem")
    old = key.sign(12, "a" * 64, SIGNED_AT)
    assert "note" not in old.to_json()  # exports of old checkpoints keep their shape
    note = key.sign_note(CheckpointBody("concord.example/log", 12, bytes(32)))
    new = replace(old, note=note)
    assert Checkpoint.from_json(new.to_json()) == new
    assert Checkpoint.from_json(old.to_json()) == old
    with pytest.raises(ValueError, match="note is text"):
        Checkpoint.from_json({**old.to_json(), "note": 7})
