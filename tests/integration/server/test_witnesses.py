"""Checkpoints as C2SP signed notes, and witnesses who cosign them: over a real uvicorn
server, on real databases. The note is read back by a parser written here from the
specifications' text (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature), not by
Concord's code."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import make_url

from events import NewEvent, StreamAppend
from server.bootstrap import open_services
from server.cli import main
from server.demo import DemoPerson, load_demo
from server.services import Services, Settings
from tests.integration.events.conftest import execute_raw
from tests.integration.server.conftest import Api, Cli
from tests.integration.server.live.conftest import serving

WITNESS = "ethics.example/witness"

# -- an independent reader of the formats, from the specifications' text ----------------


def read_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """signed-note: the text (with its final newline) before the last blank line, then
    lines of em dash, space, key name, space, base64 signature."""
    cut = note.rindex("\n\n")
    text, signature_lines = note[: cut + 1], note[cut + 2 :].splitlines()
    signatures = []
    for line in signature_lines:
        dash, name, encoded = line.split(" ")
        assert dash == "\u2014"
        signatures.append((name, base64.b64decode(encoded)))
    return text, signatures


def spec_key_id(name: str, kind: int, key: Ed25519PublicKey) -> bytes:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + raw).digest()[:4]


def tree_hash(leaves: list[bytes]) -> bytes:
    """RFC 9162 MTH, by its recursive definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + tree_hash(leaves[:k]) + tree_hash(leaves[k:])).digest()


async def log_leaves(services: Services, size: int) -> list[bytes]:
    stored = await services.store.read_stored(limit=size)
    return [bytes.fromhex(row.hash) for row in stored]


def verify_signature(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


# -- helpers ----------------------------------------------------------------------------


async def generate_witness_key(concord: Cli, path: Path) -> dict[str, str]:
    code, out = await concord("witness", "--generate-key", "--key", str(path), "--name", WITNESS)
    assert code == 0, out
    entry: dict[str, str] = json.loads(out.splitlines()[-1])
    return entry


async def require_witness(client: httpx.AsyncClient, alex: dict[str, str], entry: Any) -> None:
    """The trial admin amends the demo trial's charter to require the witness."""
    trial = "/api/trials/asthma-301"
    charter = (await client.get(trial, headers=alex)).json()["charter"]
    charter["witnesses"] = [entry]
    body = {"charter": charter, "reason": "the ethics committee witnesses the log"}
    response = await client.put(f"{trial}/charter", json=body, headers=alex)
    assert response.status_code < 300, response.text


async def grow(services: Services, stream: str, count: int) -> None:
    notes = [NewEvent("Noted", {"n": n}) for n in range(count)]
    await services.store.append(StreamAppend(stream, notes))


Run = tuple[int, str, str]


async def witness_run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """``concord witness ...`` on a thread of its own: exit status, output, errors."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["witness", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- tests ------------------------------------------------------------------------------


async def test_a_checkpoint_is_a_c2sp_signed_note_that_a_reader_of_the_specs_verifies(
    services: Services, demo: object
) -> None:
    signed = await services.checkpoints.sign_head()
    assert signed.note is not None
    text, signatures = read_note(signed.note)
    origin, size, root, end = text.split("\n")
    assert end == ""
    assert int(size) == signed.position == await services.store.head_position()
    leaves = await log_leaves(services, signed.position)
    assert base64.b64decode(root) == tree_hash(leaves)
    key = services.checkpoints.key.public_key
    [(name, signature)] = signatures
    assert name == origin
    assert signature[:4] == spec_key_id(origin, 0x01, key)
    assert verify_signature(key, signature[4:], text.encode())
    assert not verify_signature(key, signature[4:], text.replace(size, str(int(size) + 1)).encode())
    # the checkpoint in its old form is still there, and still verifies
    assert signed.verifies_with(key)


async def test_a_witness_cosigns_over_a_real_server_and_verify_reports_it(
    services: Services,
    demo: dict[str, DemoPerson],
    as_user: Api,
    url: str,
    concord: Cli,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file, state = tmp_path / "witness.pem", tmp_path / "witness.json"
    entry = await generate_witness_key(concord, key_file)
    async with serving(services) as served, served.client() as client:
        await require_witness(client, await as_user("alex"), entry)
        signed = await services.checkpoints.sign_head()

        code, out = await concord("--db", url, "verify")
        assert code == 1
        assert f"requires witness {WITNESS}, which has cosigned no checkpoint" in out

        token = (await services.tokens.issue(demo["aud"].user_id, "witness")).token
        witness = [*("--key", str(key_file), "--url", served.http, "--state", str(state))]
        witness += ["--name", WITNESS, "--token", token]
        code, out, err = await witness_run(capsys, *witness)
        assert code == 0, err
        assert f"cosigned tree size {signed.position}" in out

        shown = (await client.get("/api/log/checkpoint")).json()
        assert shown["tree_size"] == signed.position
        assert shown["cosigned_by"] == [WITNESS]
        text, signatures = read_note(shown["note"])
        [cosignature] = [data for name, data in signatures if name == WITNESS]
        witness_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"]))
        assert cosignature[:4] == spec_key_id(WITNESS, 0x04, witness_key)
        timestamp = int.from_bytes(cosignature[4:12], "big")
        message = f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()
        assert verify_signature(witness_key, cosignature[12:], message)

        code, out = await concord("--db", url, "verify")
        assert code == 0, out
        assert f"cosigned: size {signed.position} by {WITNESS}" in out

        code, out, _ = await witness_run(capsys, *witness)
        assert (code, out.strip()) == (
            0,
            f"nothing new: tree size {signed.position} is already cosigned by {WITNESS}",
        )

        # the log grows: the witness checks the consistency proof and cosigns the new size
        await grow(services, "bulk/witnessed", 25)
        grown = await services.checkpoints.sign_head()
        code, out, err = await witness_run(capsys, *witness)
        assert code == 0, err
        assert f"cosigned tree size {grown.position}" in out


async def test_the_server_refuses_a_tampered_unknown_or_malformed_cosignature(
    services: Services,
    demo: object,
    as_user: Api,
    url: str,
    concord: Cli,
    tmp_path: Path,
) -> None:
    from server.audit.signed_note import cosign

    entry = await generate_witness_key(concord, tmp_path / "witness.pem")
    stranger = await generate_witness_key(concord, tmp_path / "stranger.pem")
    async with serving(services) as served, served.client() as client:
        await require_witness(client, await as_user("alex"), entry)
        signed = await services.checkpoints.sign_head()
        assert signed.note is not None
        text, _ = read_note(signed.note)
        path = f"/api/log/checkpoints/{signed.position}/cosignatures"

        def line(key_file: Path, name: str = WITNESS, flip: bool = False) -> str:
            key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
            made = cosign(text, name, key, 1_700_000_000)  # type: ignore[arg-type]
            data = bytearray(made.data)
            if flip:
                data[-1] ^= 1
            return f"\u2014 {name} {base64.b64encode(bytes(data)).decode()}"

        refusals = {
            "cosignature-does-not-verify": line(tmp_path / "witness.pem", flip=True),
            "unknown-witness": line(tmp_path / "stranger.pem"),
            "malformed-cosignature": f"\u2014 {WITNESS} bm90IGEgc2lnbmF0dXJl",
        }
        assert stranger["public_key"] != entry["public_key"]
        for kind, refused in refusals.items():
            response = await client.post(path, json={"cosignature": refused})
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"].endswith(f"/{kind}"), response.text
        missing = await client.post(
            f"/api/log/checkpoints/{signed.position + 1000}/cosignatures",
            json={"cosignature": line(tmp_path / "witness.pem")},
        )
        assert missing.status_code == 404
        assert (await client.get("/api/log/checkpoint")).json()["cosigned_by"] == []

        accepted = await client.post(path, json={"cosignature": line(tmp_path / "witness.pem")})
        assert accepted.status_code == 201, accepted.text
        again = await client.post(path, json={"cosignature": line(tmp_path / "witness.pem")})
        assert again.status_code == 409

    code, out = await concord("--db", url, "verify")
    assert code == 0, out
    # someone with the database's keys changes the stored cosignature: verify finds it
    if make_url(url).get_backend_name() == "postgresql":
        await execute_raw(url, "ALTER TABLE cosignatures DISABLE TRIGGER USER")
    else:
        await execute_raw(url, "DROP TRIGGER cosignatures_no_update")
    tampered = line(tmp_path / "witness.pem", flip=True).split(" ")[2]
    await execute_raw(url, f"UPDATE cosignatures SET signature = '{tampered}'")
    code, out = await concord("--db", url, "verify")
    assert code == 1
    assert f"the cosignature of {WITNESS} on the checkpoint of tree size" in out
    assert "does not verify" in out


@asynccontextmanager
async def server_of(url: str, key: Path) -> AsyncIterator[tuple[Services, str]]:
    async with (
        open_services(url, settings=Settings(signing_key=key)) as services,
        serving(services) as served,
    ):
        yield services, served.http


async def shared_prefix(tmp_path: Path, concord: Cli, key: Path) -> tuple[str, str, list[str]]:
    """Two SQLite databases holding the same log (the demo, its charter requiring the
    witness), served with the same key: their URLs, and the witness's arguments."""
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    witness_file, state = tmp_path / "witness.pem", tmp_path / "witness.json"
    entry = await generate_witness_key(concord, witness_file)
    async with open_services(
        f"sqlite+aiosqlite:///{first}", settings=Settings(signing_key=key)
    ) as services:
        people = {p.username: p for p in await load_demo(services)}
        token = (await services.tokens.issue(people["aud"].user_id, "witness")).token
        async with serving(services) as served, served.client() as client:
            issued = await services.tokens.issue(people["alex"].user_id, "tests")
            await require_witness(client, {"Authorization": f"Bearer {issued.token}"}, entry)
    await asyncio.to_thread(shutil.copyfile, first, second)
    witness = ["--key", str(witness_file), "--state", str(state), "--name", WITNESS]
    return (
        f"sqlite+aiosqlite:///{first}",
        f"sqlite+aiosqlite:///{second}",
        [*witness, "--token", token],
    )


async def test_a_witness_refuses_a_forked_log_and_posts_nothing(
    tmp_path: Path, concord: Cli, signing_key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two databases share the demo's log, then diverge; both are served with the same
    key (the server's operator rewriting its log). The witness cosigned the first."""
    first_url, second_url, witness = await shared_prefix(tmp_path, concord, signing_key)
    state = tmp_path / "witness.json"
    async with server_of(first_url, signing_key) as (services, http):
        await grow(services, "bulk/honest", 10)
        cosigned = await services.checkpoints.sign_head()
        code, _, err = await witness_run(capsys, *witness, "--url", http)
        assert code == 0, err
    remembered = json.loads(state.read_text())
    assert remembered["tree_size"] == cosigned.position

    async with server_of(second_url, signing_key) as (services, http):
        await grow(services, "bulk/rewritten", 30)  # different events, and more of them
        forked = await services.checkpoints.sign_head()
        assert forked.position > cosigned.position
        code, _, err = await witness_run(capsys, *witness, "--url", http)
        assert code == 1, err
        assert f"tree size {forked.position} is NOT CONSISTENT" in err
        assert "FORKED" in err
        assert "Nothing was cosigned" in err
        async with httpx.AsyncClient() as client:
            shown = (await client.get(f"{http}/api/log/checkpoint")).json()
        assert shown["cosigned_by"] == []
    assert json.loads(state.read_text()) == remembered


async def test_a_witness_refuses_another_root_for_the_size_it_cosigned(
    tmp_path: Path, concord: Cli, signing_key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first_url, second_url, witness = await shared_prefix(tmp_path, concord, signing_key)
    runs = []
    for url, stream in ((first_url, "bulk/honest"), (second_url, "bulk/rewritten")):
        async with server_of(url, signing_key) as (services, http):
            await grow(services, stream, 10)
            await services.checkpoints.sign_head()
            runs.append(await witness_run(capsys, *witness, "--url", http))
    assert runs[0][0] == 0, runs[0][2]
    code, _, err = runs[1]
    assert code == 1
    assert "with another root than the one this witness cosigned" in err


async def test_checkpoints_signed_before_notes_still_verify_beside_new_ones(
    services: Services, demo: object, url: str, concord: Cli
) -> None:
    from server.audit.checkpoints import checkpoints_table

    head = await services.store.head_position()
    [stored] = await services.store.read_stored(after=head - 1, limit=1)
    old = services.checkpoints.key.sign(head, stored.hash, "2026-11-30T10:00:00.000000Z")
    async with services.checkpoints.engine.begin() as connection:  # as before migration 0010
        await connection.execute(checkpoints_table.insert().values(**old.to_json()))
    assert old.note is None
    await grow(services, "bulk/later", 5)
    await services.checkpoints.sign_head()
    recorded = await services.checkpoints.recorded()
    assert [c.note is None for c in recorded] == [True, False]

    code, out = await concord("--db", url, "verify")
    assert code == 0, out
    assert "2 signed checkpoints agree" in out


async def test_a_changed_signed_note_is_found_by_verify(
    services: Services, demo: object, url: str, concord: Cli
) -> None:
    signed = await services.checkpoints.sign_head()
    assert signed.note is not None
    text, _ = read_note(signed.note)
    forged_root = base64.b64encode(b"\x00" * 32).decode()
    forged = signed.note.replace(text.split("\n")[2], forged_root)
    if make_url(url).get_backend_name() == "postgresql":
        await execute_raw(url, "ALTER TABLE checkpoints DISABLE TRIGGER USER")
    else:
        await execute_raw(url, "DROP TRIGGER checkpoints_no_update")
    await execute_raw(url, f"UPDATE checkpoints SET note = '{forged}'")
    code, out = await concord("--db", url, "verify")
    assert code == 1
    assert out.startswith(f"BROKEN at position {signed.position}: the signed note of tree size")
    assert "does not verify with the server's public key" in out


async def test_a_witness_refuses_a_checkpoint_not_signed_by_the_key_it_trusts(
    services: Services, tmp_path: Path, concord: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    await grow(services, "bulk/any", 3)
    await services.checkpoints.sign_head()
    await generate_witness_key(concord, tmp_path / "witness.pem")
    other = Ed25519PrivateKey.generate().public_key()
    (tmp_path / "other.pem").write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    state = tmp_path / "witness.json"
    async with serving(services) as served:
        code, _, err = await witness_run(
            capsys,
            *("--key", str(tmp_path / "witness.pem"), "--url", served.http),
            *("--state", str(state), "--server-key", str(tmp_path / "other.pem")),
        )
    assert code == 1
    assert "is not signed by the server's key this witness trusts" in err
    assert not state.exists()
