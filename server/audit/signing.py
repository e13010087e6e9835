"""The server's Ed25519 key and the checkpoints it signs.

A checkpoint says "the log had this hash at this position", signed by the server. The
signed bytes are the canonical JSON (docs/log-format.md) of the object with the members
``hash``, ``key_id``, ``position`` and ``signed_at``; the key id is the first 16 hex
digits of SHA-256 over the raw 32-byte public key. Checkpoints signed since migration
0010 also carry ``note``: the same head as a C2SP checkpoint (origin, tree size, Merkle
root) signed by the same key (server/audit/signed_note.py), which witnesses cosign. The
private key stays in its file (created on first use, readable by its owner only); only
the public key is ever shown.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.canonical import canonical_json
from server.audit.signed_note import CheckpointBody, sign_checkpoint


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: str) -> Ed25519PublicKey:
    """A public key from its PEM text; ValueError if it is not an Ed25519 key."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The log's hash at a position, signed by the server's key."""

    position: int
    hash: str
    signed_at: str
    key_id: str
    signature: str
    """Base64 of the 64-byte Ed25519 signature over :meth:`signed_bytes`."""
    note: str | None = None
    """The C2SP signed note of the same head (tree size = position, with the Merkle
    root); None for checkpoints signed before notes were (they are still checked)."""

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.position, self.hash, self.signed_at, self.key_id)

    def verifies_with(self, public_key: Ed25519PublicKey) -> bool:
        """Whether ``public_key`` made this signature over this checkpoint's content."""
        if key_id_of(public_key) != self.key_id:
            return False
        try:
            public_key.verify(base64.b64decode(self.signature), self.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        found = {
            "position": self.position,
            "hash": self.hash,
            "signed_at": self.signed_at,
            "key_id": self.key_id,
            "signature": self.signature,
        }
        return found if self.note is None else {**found, "note": self.note}

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """A checkpoint from :meth:`to_json`'s form; ValueError if it does not fit."""
        fields = {"position": int, "hash": str, "signed_at": str, "key_id": str, "signature": str}
        if not isinstance(data, dict) or any(
            type(data.get(name)) is not kind for name, kind in fields.items()
        ):
            raise ValueError(f"a checkpoint has {', '.join(fields)} of the right types")
        note = data.get("note")
        if note is not None and not isinstance(note, str):
            raise ValueError("a checkpoint's note is text")
        return cls(**{name: data[name] for name in fields}, note=note)


def signed_bytes(position: int, hash_: str, signed_at: str, key_id: str) -> bytes:
    document = {"hash": hash_, "key_id": key_id, "position": position, "signed_at": signed_at}
    return canonical_json(document, what="checkpoint").encode()


class SigningKey:
    """The server's Ed25519 key, read from ``path`` or created there on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: Ed25519PrivateKey | None = None

    def _private(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = _load_or_create(self.path)
        return self._key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._private().public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def public_key_pem(self) -> str:
        return public_key_pem(self.public_key)

    def sign(self, position: int, hash_: str, signed_at: str) -> Checkpoint:
        key_id = self.key_id
        signature = self._private().sign(signed_bytes(position, hash_, signed_at, key_id))
        return Checkpoint(position, hash_, signed_at, key_id, base64.b64encode(signature).decode())

    def sign_note(self, body: CheckpointBody) -> str:
        """``body`` as a C2SP checkpoint, signed under its origin as key name."""
        return sign_checkpoint(body, self._private())


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:  # O_EXCL: two processes starting at once keep the first key
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key
