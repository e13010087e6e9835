"""The C2SP signed-note formats: what is refused, and what round-trips."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.audit.signed_note import (
    CheckpointBody,
    NoteError,
    cosign,
    cosignature_verifies,
    log_signature_verifies,
    parse_checkpoint_text,
    parse_note,
    sign_checkpoint,
)

ROOT = bytes(range(32))
B64_ROOT = base64.b64encode(ROOT).decode()


def test_a_signed_checkpoint_round_trips_and_ignores_other_keys_signatures() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = sign_checkpoint(CheckpointBody("concord.example/log", 12, ROOT), key)
    parsed = parse_note(note)
    assert parse_checkpoint_text(parsed.text) == CheckpointBody("concord.example/log", 12, ROOT)
    assert log_signature_verifies(parsed, "concord.example/log", key.public_key())
    assert not log_signature_verifies(parsed, "concord.example/log", other.public_key())
    cosigned = cosign(parsed.text, "w.example/1", other, 1_700_000_000)
    with_cosignature = parse_note(note + cosigned.line())
    assert log_signature_verifies(with_cosignature, "concord.example/log", key.public_key())
    assert cosignature_verifies(parsed.text, cosigned, other.public_key())
    assert not cosignature_verifies(parsed.text.replace("12", "13"), cosigned, other.public_key())


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("log\n12\nroot\n", "blank line"),
        ("log\n12\n" + B64_ROOT + "\n\n", "at least one signature"),
        ("log\n12\n" + B64_ROOT + "\n\n\u2014 a+b AAAAAAA=\n", "not a signature line"),
        ("log\n12\n" + B64_ROOT + "\n\n\u2014 k %%%\n", "not a signature line"),
        ("log\x0712\n\n\u2014 k AAAAAAA=\n", "control characters"),
        ("log\n12\n\n\u2014 k AAAAAAA=", "ends with a newline"),
    ],
)
def test_a_malformed_note_is_refused(note: str, problem: str) -> None:
    with pytest.raises(NoteError, match=problem):
        parse_note(note)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("log\n012\n" + B64_ROOT + "\n", "leading zeroes"),
        ("log\n-1\n" + B64_ROOT + "\n", "decimal"),
        ("log\n12\nAAAA\n", "32 bytes"),
        ("log\n12\n", "three non-empty lines"),
        ("\n12\n" + B64_ROOT + "\n", "three non-empty lines"),
    ],
)
def test_a_malformed_checkpoint_text_is_refused(text: str, problem: str) -> None:
    with pytest.raises(NoteError, match=problem):
        parse_checkpoint_text(text)
