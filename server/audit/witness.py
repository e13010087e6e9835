"""``concord witness``: a party that does not run the server cosigns its checkpoints.

Each run fetches the latest checkpoint (``GET /api/log/checkpoint``), checks the server's
signature with the server's public key (given with ``--server-key``, or pinned in the
state file on the first run), checks that it extends the last checkpoint this witness
cosigned (a consistency proof, ``GET /api/log/proofs/consistency``), writes the new tree
head into its state file, and only then posts its cosignature (C2SP tlog-cosignature).
A checkpoint that does not extend the one it cosigned (a fork, a rewritten or shortened
log) is refused loudly: exit status 1, and nothing is posted or remembered.

Exit status: 0 cosigned (or nothing new to cosign), 1 refused, 2 could not run.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.merkle import verify_consistency
from server.audit.server_client import ConcordServer, ServerRefused
from server.audit.signed_note import (
    NoteError,
    cosign,
    log_signature_verifies,
    parse_checkpoint_text,
    parse_note,
    raw_public_key,
    valid_key_name,
)
from server.audit.signing import load_public_key, public_key_pem

TIMEOUT_SECONDS = 60.0
CONSISTENCY_PATH = "/api/log/proofs/consistency"
CHECKPOINT_PATH = "/api/log/checkpoint"


class Refused(Exception):
    """The server's checkpoint must not be cosigned (says why, for people)."""


class CannotRun(Exception):
    """The witness could not do its work (the server unreachable, a bad file)."""


@dataclass(frozen=True, slots=True)
class WitnessState:
    """What a witness remembers between runs (its state file, JSON)."""

    name: str
    origin: str
    server_public_key: str
    """PEM of the server's key, pinned on the first run."""
    tree_size: int
    root: str
    """Base64 of the root of the largest tree it has checked and cosigned."""
    posted: bool
    """Whether the server accepted its cosignature of that tree."""


def run_witness(args: argparse.Namespace) -> int:
    """The command's work; the exit status."""
    try:
        if args.generate_key:
            return generate_key(args.key, args.name)
        if args.url is None or args.state is None:
            raise CannotRun("give --url and --state (or --generate-key)")
        server_key = load_public_key(args.server_key.read_text()) if args.server_key else None
        outcome = cosign_latest(
            ConcordServer(args.url, args.token),
            _private_key(args.key),
            args.state,
            name=args.name,
            server_key=server_key,
        )
    except Refused as refused:
        bar = "!" * 78
        print(f"{bar}\nREFUSED: {refused}\nNothing was cosigned.\n{bar}", file=sys.stderr)
        return 1
    except (CannotRun, ServerRefused, OSError, ValueError) as error:
        print(f"concord witness: {error}", file=sys.stderr)
        return 2
    print(outcome)
    return 0


def generate_key(path: Path, name: str | None) -> int:
    """Write a new Ed25519 key to ``path`` (0600; never over an existing file) and print
    what a trial's charter needs to name this witness."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CannotRun(f"{path} exists; not overwriting a key") from None
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    public = base64.b64encode(raw_public_key(key.public_key())).decode()
    print(f"wrote {path}")
    print(json.dumps({"name": name or default_name(key.public_key()), "public_key": public}))
    return 0


def default_name(key: Ed25519PublicKey) -> str:
    return f"witness.local/{hashlib.sha256(raw_public_key(key)).hexdigest()[:16]}"


def _private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CannotRun(f"{path} does not hold an Ed25519 private key")
    return key


def cosign_latest(
    server: ConcordServer,
    key: Ed25519PrivateKey,
    state_file: Path,
    *,
    name: str | None = None,
    server_key: Ed25519PublicKey | None = None,
    now: float | None = None,
) -> str:
    """Check and cosign the server's latest checkpoint; what was done, for people.
    Refused if it must not be cosigned; CannotRun if the work could not be done."""
    state = _read_state(state_file)
    name = name or (state.name if state else default_name(key.public_key()))
    if not valid_key_name(name):
        raise CannotRun(f"the witness name {name!r} must have no spaces and no '+'")
    if state is not None and state.name != name:
        raise CannotRun(f"{state_file} is the state of witness {state.name}, not {name}")
    answer = server.get(CHECKPOINT_PATH)
    note_text = answer.get("note") if isinstance(answer, dict) else None
    if not isinstance(note_text, str):
        raise CannotRun("the server's checkpoint answer has no note")
    try:
        note = parse_note(note_text)
        body = parse_checkpoint_text(note.text)
    except NoteError as error:
        raise Refused(
            f"the server's checkpoint is not a well-formed signed note: {error}"
        ) from None
    pinned = _server_key(state, server_key, answer)
    if state is not None and body.origin != state.origin:
        raise Refused(
            f"the checkpoint is of log {body.origin!r}, but this witness cosigns {state.origin!r}"
        )
    if not log_signature_verifies(note, body.origin, pinned):
        raise Refused(
            f"the checkpoint of tree size {body.size} is not signed by the server's key"
            " this witness trusts"
        )
    root = base64.b64encode(body.root).decode()
    if state is not None:
        if body.size == state.tree_size and root == state.root and state.posted:
            return f"nothing new: tree size {body.size} is already cosigned by {name}"
        _check_extends(server, state, body.size, body.root)
    new_state = WitnessState(name, body.origin, public_key_pem(pinned), body.size, root, False)
    _write_state(state_file, new_state)  # before posting: never cosign what it cannot recall
    timestamp = int(time.time() if now is None else now)
    line = cosign(note.text, name, key, timestamp).line().rstrip("\n")
    server.post(f"/api/log/checkpoints/{body.size}/cosignatures", {"cosignature": line})
    _write_state(state_file, WitnessState(**{**asdict(new_state), "posted": True}))
    return f"cosigned tree size {body.size} of {body.origin} as {name}"


def _server_key(
    state: WitnessState | None, given: Ed25519PublicKey | None, answer: dict[str, Any]
) -> Ed25519PublicKey:
    """The server's key: the one given, which must be the pinned one if any; else the
    pinned one; else (first run) the one the server shows, pinned from now on."""
    pinned = load_public_key(state.server_public_key) if state else None
    if given is not None and pinned is not None and raw_public_key(given) != raw_public_key(pinned):
        raise Refused("--server-key is not the key this witness pinned in its state file")
    if given is not None or pinned is not None:
        return given or pinned  # type: ignore[return-value]
    shown = answer.get("public_key")
    if not isinstance(shown, str):
        raise CannotRun("the server shows no public key; give --server-key")
    return load_public_key(shown)


def _check_extends(server: ConcordServer, state: WitnessState, size: int, root: bytes) -> None:
    """Refused unless the tree of ``size`` with ``root`` extends the one cosigned last."""
    old_root = base64.b64decode(state.root)
    if size < state.tree_size:
        raise Refused(
            f"the server now shows tree size {size}, smaller than the size {state.tree_size}"
            " this witness cosigned: the log was cut or rewritten"
        )
    if size == state.tree_size:
        if root != old_root:
            raise Refused(
                f"the server shows tree size {size} with another root than the one this"
                " witness cosigned: the log was FORKED or rewritten"
            )
        return
    proof = _proof(server.get(CONSISTENCY_PATH, {"from": state.tree_size, "to": size}))
    if not verify_consistency(state.tree_size, size, old_root, root, proof):
        raise Refused(
            f"the checkpoint of tree size {size} is NOT CONSISTENT with the one of size"
            f" {state.tree_size} this witness cosigned (root {state.root}): the log was"
            " FORKED or rewritten"
        )


def _proof(answer: Any) -> list[bytes]:
    """The hashes of a consistency proof answer (base64 or hex strings under ``proof``)."""
    hashes = answer.get("proof") if isinstance(answer, dict) else None
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise CannotRun("the server's consistency proof answer has no list of hashes")
    try:
        return [bytes.fromhex(h) if len(h) == 64 else base64.b64decode(h) for h in hashes]
    except (ValueError, binascii.Error):
        raise CannotRun("the server's consistency proof holds a malformed hash") from None


def _read_state(path: Path) -> WitnessState | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return WitnessState(**data)
    except (ValueError, TypeError) as error:
        raise CannotRun(f"{path} is not a witness state file: {error}") from None


def _write_state(path: Path, state: WitnessState) -> None:
    """Write the state whole or not at all (a new file renamed over the old, synced)."""
    part = path.with_name(f".{path.name}.partial")
    with part.open("w", encoding="utf-8") as file:
        json.dump(asdict(state), file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    os.replace(part, path)
