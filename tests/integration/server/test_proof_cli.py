"""``concord proof`` fetches a Merkle proof with the signed checkpoint from a running
server; ``concord verify --proof FILE --public-key PEM`` checks it offline with the key
and nothing else, and refuses a tampered proof, event hash, size, root or checkpoint, or
another server's key."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.cli import main
from tests.integration.server.serving import Served, serve_demo


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve_demo(tmp_path / "data") as server:
        yield server


def token_of(served: Served, username: str) -> str:
    with httpx.Client(base_url=served.base) as client:
        signed_in = client.post(
            "/api/session", json={"username": username, "password": served.passwords[username]}
        )
        assert signed_in.status_code == 200, signed_in.text
        issued = client.post(
            "/api/tokens",
            json={"name": "proofs"},
            headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
        )
        assert issued.status_code == 201, issued.text
        token: str = issued.json()["token"]
        return token


class Concord:
    """The CLI in this process, on the served database and key."""

    def __init__(self, served: Served, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.served, self.data, self.capsys = served, data, capsys

    def __call__(self, *argv: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        return code, captured.out + captured.err

    def sign_checkpoint(self, out: Path) -> int:
        """An export signs the log's head: the size of its checkpoint."""
        db = f"sqlite:///{self.data / 'concord.sqlite'}"
        code, said = self("--db", db, "export", "--format", "jsonl", "--out", str(out))
        assert code == 0, said
        header = json.loads(out.read_text().splitlines()[0])
        size: int = header["checkpoint"]["position"]
        return size


@pytest.fixture
def concord(
    served: Served,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Concord:
    data = tmp_path / "data"
    monkeypatch.setenv("CONCORD_SIGNING_KEY", str(data / "signing-key.pem"))
    return Concord(served, data, capsys)


def public_key_file(private: Path, out: Path) -> Path:
    key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    out.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return out


def altered(path: Path, change: Any) -> Path:
    proof = json.loads(path.read_text())
    change(proof)
    out = path.with_name(f"altered-{path.name}")
    out.write_text(json.dumps(proof))
    return out


def flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def test_an_inclusion_proof_fetched_verifies_offline_and_a_tampered_one_does_not(
    served: Served, concord: Concord, tmp_path: Path
) -> None:
    size = concord.sign_checkpoint(tmp_path / "log.jsonl")
    token = token_of(served, "sam")
    key = public_key_file(concord.data / "signing-key.pem", tmp_path / "server.pem")
    proof = tmp_path / "inclusion.json"

    code, said = concord(
        "proof", "inclusion", "--position", "3", "--url", served.base, "--token", token,
        "--out", str(proof),
    )  # fmt: skip
    assert code == 0, said
    assert f"event 3 in the log of tree size {size}" in said
    written = json.loads(proof.read_text())
    exported = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert written["event_hash"] == exported[3]["hash"]  # the export's event at position 3

    code, said = concord("verify", "--proof", str(proof), "--public-key", str(key))
    assert code == 0, said
    assert f"ok: the event at position 3 with hash {written['event_hash']} is in the log" in said
    assert f"of tree size {size}" in said

    def other_hash(p: dict[str, Any]) -> None:
        p["event_hash"] = exported[4]["hash"]

    def other_position(p: dict[str, Any]) -> None:
        p["position"] = 4

    def tampered_path(p: dict[str, Any]) -> None:
        p["proof"][0] = flip(p["proof"][0])

    def shorter_path(p: dict[str, Any]) -> None:
        p["proof"].pop()

    def other_size(p: dict[str, Any]) -> None:
        p["tree_size"] -= 1

    def other_root(p: dict[str, Any]) -> None:
        p["root"] = flip(p["root"])

    def rewritten_checkpoint(p: dict[str, Any]) -> None:
        lines = p["checkpoint"].split("\n")
        lines[2] = flip(lines[2])  # the signed root
        p["checkpoint"] = "\n".join(lines)

    def no_checkpoint(p: dict[str, Any]) -> None:
        p["checkpoint"] = None

    refusals = {
        other_hash: "does not lead from event 3's hash",
        other_position: "does not lead from event 4's hash",
        tampered_path: "does not lead",
        shorter_path: "does not lead",
        other_size: f"the proof is for tree size {size - 1}, its checkpoint for {size}",
        other_root: "the root beside the checkpoint is not the signed root",
        rewritten_checkpoint: "does not verify with the public key",
        no_checkpoint: "there is no signed checkpoint",
    }
    for change, reason in refusals.items():
        code, said = concord(
            "verify", "--proof", str(altered(proof, change)), "--public-key", str(key)
        )
        assert code == 1, (change.__name__, said)
        assert "NOT PROVEN" in said
        assert reason in said, (change.__name__, said)

    another = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (tmp_path / "another.pem").write_bytes(another)
    code, said = concord(
        "verify", "--proof", str(proof), "--public-key", str(tmp_path / "another.pem")
    )
    assert code == 1
    assert "does not verify with the public key" in said


def test_a_consistency_proof_between_two_checkpoints_verifies_offline(
    served: Served, concord: Concord, tmp_path: Path
) -> None:
    first = concord.sign_checkpoint(tmp_path / "first.jsonl")
    token = token_of(served, "sam")  # signing in and issuing a token are events
    second = concord.sign_checkpoint(tmp_path / "second.jsonl")
    assert second > first
    key = public_key_file(concord.data / "signing-key.pem", tmp_path / "server.pem")
    proof = tmp_path / "consistency.json"

    code, said = concord(
        "proof", "consistency", "--from", str(first), "--to", str(second),
        "--url", served.base, "--token", token, "--out", str(proof),
    )  # fmt: skip
    assert code == 0, said
    code, said = concord("verify", "--proof", str(proof), "--public-key", str(key))
    assert code == 0, said
    assert f"of tree size {first}" in said
    assert f"is a prefix of its tree of size {second}" in said

    def swapped(p: dict[str, Any]) -> None:
        p["from_checkpoint"], p["to_checkpoint"] = p["to_checkpoint"], p["from_checkpoint"]

    def tampered(p: dict[str, Any]) -> None:
        p["proof"][-1] = flip(p["proof"][-1])

    for change in (swapped, tampered):
        code, said = concord(
            "verify", "--proof", str(altered(proof, change)), "--public-key", str(key)
        )
        assert code == 1, said
        assert "NOT PROVEN" in said

    code, said = concord(
        "proof", "consistency", "--from", str(first + 1), "--to", str(second),
        "--url", served.base, "--token", token, "--out", str(tmp_path / "unsigned.json"),
    )  # fmt: skip
    assert code == 1
    assert f"the server has signed no checkpoint of tree size {first + 1}" in said


def test_fetching_a_proof_needs_a_token_and_a_signed_size(
    served: Served, concord: Concord, tmp_path: Path
) -> None:
    size = concord.sign_checkpoint(tmp_path / "log.jsonl")
    out = tmp_path / "proof.json"
    code, said = concord(
        "proof", "inclusion", "--position", "1", "--url", served.base, "--out", str(out)
    )
    assert code == 1
    assert "answered 401: sign in first" in said
    token = token_of(served, "sam")
    code, said = concord(
        "proof", "inclusion", "--position", str(size + 1), "--url", served.base,
        "--token", token, "--out", str(out),
    )  # fmt: skip
    assert code == 1
    assert f"position {size + 1} is after the latest signed checkpoint (tree size {size})" in said
    assert not out.exists()
    code, said = concord("verify", "--proof", str(out), "--public-key", str(out))
    assert code == 2
