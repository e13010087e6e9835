"""``concord verify`` finds every way an attacker could alter the log, in the database and
in an export, and names the first position that does not match."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url

from events import NewEvent, StreamAppend
from server.services import Services
from tests.integration.events.conftest import execute_raw
from tests.integration.server.conftest import Api, Cli


async def export(client: httpx.AsyncClient, as_user: Api, trial: str) -> list[str]:
    response = await client.get(f"{trial}/audit/export.jsonl", headers=await as_user("aud"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jsonl")
    return response.text.splitlines(keepends=True)


def position(line: str) -> int:
    value: int = json.loads(line)["position"]
    return value


async def test_an_export_verifies_offline_and_names_the_key_that_signed_it(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, tmp_path: Path, concord: Cli
) -> None:
    lines = await export(app_client, as_user, trial)
    exported = tmp_path / "log.jsonl"
    exported.write_text("".join(lines))
    published = (await app_client.get("/api/signing-key", headers=await as_user("pat"))).json()
    key_file = tmp_path / "server.pem"
    key_file.write_text(published["public_key"])

    code, out = await concord("verify", str(exported), "--public-key", str(key_file))
    assert code == 0, out
    assert out.startswith(f"ok: trial asthma-301, {len(lines) - 1} events")
    assert f"by key {published['key_id']}" in out

    stranger = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    key_file.write_bytes(stranger)
    code, out = await concord("verify", str(exported), "--public-key", str(key_file))
    assert code == 1
    assert "does not verify with the server's public key" in out


def _changed_byte(lines: list[str]) -> tuple[list[str], int]:
    index = next(i for i, line in enumerate(lines) if "spirometry" in line)
    return [
        *lines[:index],
        lines[index].replace("spirometry", "spirometrx", 1),
        *lines[index + 1 :],
    ], position(lines[index])


def _deleted(lines: list[str]) -> tuple[list[str], int]:
    return [*lines[:5], *lines[6:]], position(lines[5])


def _swapped(lines: list[str]) -> tuple[list[str], int]:
    return [*lines[:5], lines[6], lines[5], *lines[7:]], position(lines[5])


def _truncated(lines: list[str]) -> tuple[list[str], int]:
    return lines[:-3], position(lines[-3])


@pytest.mark.parametrize("tamper", [_changed_byte, _deleted, _swapped, _truncated])
async def test_a_tampered_export_is_broken_at_the_first_position_that_does_not_match(
    app_client: httpx.AsyncClient,
    as_user: Api,
    trial: str,
    tmp_path: Path,
    concord: Cli,
    tamper: Callable[[list[str]], tuple[list[str], int]],
) -> None:
    tampered, first_bad = tamper(await export(app_client, as_user, trial))
    exported = tmp_path / "tampered.jsonl"
    exported.write_text("".join(tampered))
    code, out = await concord("verify", str(exported))
    assert code == 1
    assert out.startswith(f"BROKEN at position {first_bad}:"), out


async def _disable_append_only(url: str) -> None:
    if make_url(url).get_backend_name() == "postgresql":
        await execute_raw(url, "ALTER TABLE events DISABLE TRIGGER USER")
    else:
        await execute_raw(url, "DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete")


DATABASE_TAMPERS = {
    "a changed byte": ["UPDATE events SET data = replace(data, 'a', 'b') WHERE position = 7"],
    "a deleted event": ["DELETE FROM events WHERE position = 7"],
    "two swapped events": [
        "UPDATE events SET position = -7 WHERE position = 7",
        "UPDATE events SET position = 7 WHERE position = 8",
        "UPDATE events SET position = 8 WHERE position = -7",
    ],
}


@pytest.mark.parametrize("tamper", DATABASE_TAMPERS)
async def test_a_tampered_database_is_broken_at_the_first_position_that_does_not_match(
    services: Services, demo: object, url: str, concord: Cli, tamper: str
) -> None:
    code, out = await concord("--db", url, "verify")
    assert code == 0, out
    assert out.startswith(f"ok: {await services.store.head_position()} events")
    await _disable_append_only(url)
    await execute_raw(url, *DATABASE_TAMPERS[tamper])
    code, out = await concord("--db", url, "verify")
    assert (code, out.split(":")[0]) == (1, "BROKEN at position 7")


async def test_events_cut_off_the_end_of_the_database_contradict_a_signed_checkpoint(
    services: Services, demo: object, url: str, concord: Cli
) -> None:
    signed = await services.checkpoints.sign_head()
    await _disable_append_only(url)
    await execute_raw(url, f"DELETE FROM events WHERE position > {signed.position - 2}")
    code, out = await concord("--db", url, "verify")
    assert code == 1
    assert out.startswith(f"BROKEN at position {signed.position - 1}:"), out
    assert "cut off the end" in out


async def test_a_trial_export_redacts_other_trials_and_still_verifies(
    app_client: httpx.AsyncClient,
    as_user: Api,
    trial: str,
    other_trial: None,
    tmp_path: Path,
    concord: Cli,
) -> None:
    lines = await export(app_client, as_user, trial)
    assert "Another trial" not in "".join(lines)
    redacted = [line for line in lines[1:] if json.loads(line).get("redacted")]
    assert redacted
    assert set(json.loads(redacted[0])) == {"position", "prev_hash", "hash", "redacted"}
    exported = tmp_path / "log.jsonl"
    exported.write_text("".join(lines))
    code, out = await concord("verify", str(exported))
    assert code == 0, out
    assert f"({len(redacted)} of other trials redacted)" in out


async def verification_lines(
    client: httpx.AsyncClient, as_user: Api, trial: str
) -> list[dict[str, Any]]:
    """``?progress=true``: the JSON lines, read as they are streamed."""
    lines = []
    async with client.stream(
        "GET",
        f"{trial}/audit/verification",
        params={"progress": "true"},
        headers=await as_user("aud"),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        async for line in response.aiter_lines():
            if line:
                lines.append(json.loads(line))
    return lines


async def test_verifying_a_long_log_reports_its_progress_then_the_answer(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    for batch in range(3):  # more than two pages of the log (5,000 events a page)
        notes = [NewEvent("Noted", {"batch": batch, "n": n}) for n in range(2000)]
        await services.store.append(StreamAppend(f"bulk/{batch}", notes))
    headers = await as_user("aud")  # issuing the token is an event of the account log

    async def auditor(_: str) -> dict[str, str]:
        return headers

    head = await services.store.head_position()
    *progress, answer = await verification_lines(app_client, auditor, trial)
    checked = [step["checked"] for step in progress]
    assert len(checked) >= 2
    assert checked == sorted(checked)
    assert checked[-1] == head
    assert {step["head_position"] for step in progress} == {head}
    assert (answer["ok"], answer["checked"], answer["head_position"]) == (True, head, head)
    assert answer["summary"].startswith(f"ok: {head} events")


async def test_a_streamed_verification_of_a_tampered_database_ends_with_the_break(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, url: str
) -> None:
    await _disable_append_only(url)
    await execute_raw(url, *DATABASE_TAMPERS["a changed byte"])
    *_, answer = await verification_lines(app_client, as_user, trial)
    assert (answer["ok"], answer["first_bad_position"]) == (False, 7)
    assert answer["summary"].startswith("BROKEN at position 7")


async def test_progress_is_true_or_false(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    response = await app_client.get(
        f"{trial}/audit/verification", params={"progress": "yes"}, headers=await as_user("aud")
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("malformed-parameter")
