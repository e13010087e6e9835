"""C2SP signed notes, checkpoints and cosignatures: the text formats, nothing else.

- A signed note (c2sp.org/signed-note) is a text ending in a newline, a blank line, then
  signature lines ``— <key name> base64(4-byte key ID || signature)``.
- A checkpoint (c2sp.org/tlog-checkpoint) is a note whose text is the log's origin, the
  tree size in decimal and the base64 Merkle root, one a line.
- A cosignature (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``) is a witness's
  signature line on a checkpoint: key ID || 8-byte big-endian timestamp || the Ed25519
  signature of ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint's text.

Key IDs are SHA-256(key name || 0x0A || signature type || 32-byte public key)[:4], with
type 0x01 for the server's Ed25519 signature and 0x04 for a witness's cosignature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
MAX_SIGNATURES = 64
"""Signature lines a note may carry (the spec asks verifiers to accept at least 16)."""
MAX_TIMESTAMP = 2**63 - 1


class NoteError(ValueError):
    """Text that is not a well-formed signed note or checkpoint (says what is wrong)."""


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 bytes; NoteError if they are not one."""
    if len(raw) != 32:
        raise NoteError(f"an Ed25519 public key is 32 bytes, not {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(name: str, signature_type: int, key: Ed25519PublicKey) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4] (c2sp.org/signed-note)."""
    material = name.encode() + b"\n" + bytes([signature_type]) + raw_public_key(key)
    return hashlib.sha256(material).digest()[:4]


def valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode space, no plus sign, no control character."""
    return bool(name) and not any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key's name and the decoded bytes after it."""

    name: str
    data: bytes
    """Key ID (4 bytes) then what the signature type defines."""

    @property
    def key_id(self) -> bytes:
        return self.data[:4]

    def line(self) -> str:
        return f"{EM_DASH} {self.name} {base64.b64encode(self.data).decode()}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    text: str
    """The signed text, its final newline included."""
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def parse_note(note: str) -> SignedNote:
    """The text and signature lines of a signed note; NoteError if it is malformed."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a signed note has no control characters but newlines")
    if not note.endswith("\n"):
        raise NoteError("a signed note ends with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("a signed note has a blank line between its text and its signatures")
    text, lines = note[: split + 1], note[split + 2 :].splitlines()
    if not lines:
        raise NoteError("a signed note has at least one signature line")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a signed note carries at most {MAX_SIGNATURES} signatures here")
    return SignedNote(text, tuple(parse_signature_line(line) for line in lines))


_LINE = re.compile(f"^{EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$")


def parse_signature_line(line: str) -> NoteSignature:
    """``— <name> <base64>`` (without its newline); NoteError if it is not one."""
    found = _LINE.match(line.rstrip("\n"))
    if found is None or not valid_key_name(found[1]):
        raise NoteError(f"not a signature line: {line!r}")
    try:
        data = base64.b64decode(found[2], validate=True)
    except binascii.Error:
        raise NoteError(f"the signature of {found[1]} is not base64") from None
    if len(data) < 5:
        raise NoteError(f"the signature of {found[1]} is too short")
    return NoteSignature(found[1], data)


@dataclass(frozen=True, slots=True)
class CheckpointBody:
    """The text of a checkpoint: origin, tree size, root hash (no extension lines)."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint_text(text: str) -> CheckpointBody:
    """The origin, size and root of a checkpoint's text; NoteError if malformed."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise NoteError("a checkpoint's text is at least three non-empty lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError(f"the tree size {size!r} is not a decimal without leading zeroes")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise NoteError("the root hash is not base64") from None
    if len(root_hash) != 32:
        raise NoteError("the root hash is not 32 bytes")
    if len(lines) > 4:
        raise NoteError("this log writes no extension lines")
    return CheckpointBody(origin, int(size), root_hash)


def sign_checkpoint(body: CheckpointBody, key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note, signed by ``key`` under the origin as key name."""
    text = body.text()
    data = key_id(body.origin, ED25519, key.public_key()) + key.sign(text.encode())
    return SignedNote(text, (NoteSignature(body.origin, data),)).render()


def log_signature_verifies(note: SignedNote, name: str, key: Ed25519PublicKey) -> bool:
    """Whether a signature line of ``name`` with ``key``'s key ID verifies over the text
    (signatures of other keys are ignored, as the spec asks)."""
    wanted = key_id(name, ED25519, key)
    mine = [s for s in note.signatures if s.name == name and s.key_id == wanted]
    if not mine:
        return False
    return all(_verifies(key, s.data[4:], note.text.encode()) for s in mine)


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosignature/v1 signs: the header and time lines, then the text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> NoteSignature:
    """A witness's cosignature of a checkpoint's ``text`` at ``timestamp``."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"a cosignature's time is 0 to 2^63-1, not {timestamp}")
    signature = key.sign(cosigned_message(text, timestamp))
    data = key_id(name, COSIGNATURE_V1, key.public_key()) + timestamp.to_bytes(8, "big")
    return NoteSignature(name, data + signature)


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The timestamp a cosignature line carries (NoteError if it has no room for one)."""
    if len(signature.data) != 4 + 8 + 64:
        raise NoteError(f"the cosignature of {signature.name} is not 76 bytes")
    return int.from_bytes(signature.data[4:12], "big")


def cosignature_verifies(text: str, signature: NoteSignature, key: Ed25519PublicKey) -> bool:
    """Whether ``signature`` is ``key``'s cosignature/v1 under its name over ``text``."""
    if len(signature.data) != 4 + 8 + 64:
        return False
    if signature.key_id != key_id(signature.name, COSIGNATURE_V1, key):
        return False
    timestamp = int.from_bytes(signature.data[4:12], "big")
    if timestamp > MAX_TIMESTAMP:
        return False
    return _verifies(key, signature.data[12:], cosigned_message(text, timestamp))


def _verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
