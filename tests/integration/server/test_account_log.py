"""The account log as an inspector reads it: every sign-in (succeeded, refused with its true
reason, a lockout once), password change and reset is an event of the account's stream in
the one hash-chained log, verified and exported like the rest, with no secret in it; and
a password someone else set signs nothing until its owner has replaced it."""

from __future__ import annotations

from pathlib import Path

import httpx

from domain.account_events import SIGN_INS_STREAM
from events import EventStore
from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Cli, client_of

NEW_PASSWORD = "sam's very own passphrase"


async def _sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/session", json={"username": username, "password": password})


async def _types(services: Services, user_id: str) -> list[str]:
    return [event.type for event in await services.account_log.trail(user_id)]


async def test_sign_ins_are_recorded_with_their_true_reason(
    services: Services, store: EventStore, demo: dict[str, DemoPerson]
) -> None:
    sam = demo["sam"]
    async with client_of(services) as client:
        assert (await _sign_in(client, "sam", "not sam's password")).status_code == 401
        assert (await _sign_in(client, "nobody-here", "whatever it is")).status_code == 401
        signed_in = await _sign_in(client, "sam", sam.password)
        assert signed_in.status_code == 200
        await services.accounts.disable(sam.user_id, reason="left", meta={"actor": "tests"})
        disabled = await _sign_in(client, "sam", sam.password)
        wrong_and_disabled = await _sign_in(client, "sam", "not sam's password")
    # A disabled account's retry gets the same answer whether the password is right or not.
    assert disabled.status_code == wrong_and_disabled.status_code == 401
    assert disabled.json()["detail"] == wrong_and_disabled.json()["detail"]

    trail = await services.account_log.trail(sam.user_id)
    sign_ins = [(e.type, e.data.get("refusal")) for e in trail if e.type.startswith("SignIn")]
    assert sign_ins == [
        ("SignInRefused", "wrong_password"),
        ("SignInSucceeded", None),
        ("SignInRefused", "account_disabled"),
        ("SignInRefused", "wrong_password"),
    ]
    succeeded = next(e for e in trail if e.type == "SignInSucceeded")
    assert succeeded.data["session_id"].startswith("s-")
    [unknown] = await store.read_stream(SIGN_INS_STREAM)
    assert unknown.data["refusal"] == "unknown_username"
    assert "nobody-here" not in str(unknown.data) + str(unknown.meta)


async def test_a_lockout_is_recorded_once_when_it_begins(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    ivy = demo["ivy"]
    async with client_of(services) as client:
        answers = [
            (await _sign_in(client, "ivy", f"wrong guess no {n}")).status_code for n in range(8)
        ]
    assert answers == [401] * 5 + [429] * 3
    types = await _types(services, ivy.user_id)
    assert types.count("SignInRefused") == 5
    assert types.count("SignInThrottled") == 1


async def test_a_reset_password_signs_nothing_until_its_owner_replaced_it(
    services: Services, demo: dict[str, DemoPerson], trial: str
) -> None:
    sam = demo["sam"]
    one_time = await services.accounts.reset_password(sam.user_id, meta={"actor": "tests"})
    async with client_of(services) as client:
        assert (await _sign_in(client, "sam", sam.password)).status_code == 401
        signed_in = await _sign_in(client, "sam", one_time)
        assert signed_in.status_code == 200
        assert signed_in.json()["user"]["must_change_password"] is True
        csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
        signing = {"meaning": "approval", "content_hash": "0" * 64, "password": one_time}
        refused = await client.post(
            f"{trial}/amendments/A-1/signatures", json=signing, headers=csrf
        )
        assert refused.status_code == 403
        assert refused.json()["type"].endswith("/password-change-required")
        weak = await client.post(
            "/api/session/password",
            json={"current_password": one_time, "new_password": "password1234"},
            headers=csrf,
        )
        assert weak.status_code == 422
        assert "too easy to guess" in weak.json()["detail"]
        changed = await client.post(
            "/api/session/password",
            json={"current_password": one_time, "new_password": NEW_PASSWORD},
            headers=csrf,
        )
        assert changed.status_code == 200, changed.text
        csrf = {"X-CSRF-Token": changed.json()["csrf_token"]}
        a1 = (await client.get(f"{trial}/amendments/A-1")).json()
        signing = {"meaning": "approval", "content_hash": a1["content_hash"]}
        stale = await client.post(
            f"{trial}/amendments/A-1/signatures",
            json={**signing, "password": one_time},
            headers=csrf,
        )
        assert stale.status_code == 403  # the one-time password no longer signs
        signed = await client.post(
            f"{trial}/amendments/A-1/signatures",
            json={**signing, "password": NEW_PASSWORD},
            headers=csrf,
        )
        assert signed.status_code == 201, signed.text
    types = await _types(services, sam.user_id)
    assert types.index("PasswordReset") < types.index("PasswordChanged")
    reset = next(
        e for e in await services.account_log.trail(sam.user_id) if e.type == "PasswordReset"
    )
    assert (reset.data["reset_by"], reset.meta["actor"]) == ("tests", "tests")


async def test_a_wrong_current_password_changes_nothing(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    sam = demo["sam"]
    async with client_of(services) as client:
        csrf = {"X-CSRF-Token": (await _sign_in(client, "sam", sam.password)).json()["csrf_token"]}
        refused = await client.post(
            "/api/session/password",
            json={"current_password": "not the right one", "new_password": NEW_PASSWORD},
            headers=csrf,
        )
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await client.get("/api/session")).status_code == 200  # still signed in
    assert "PasswordChanged" not in await _types(services, sam.user_id)
    async with client_of(services) as client:
        assert (await _sign_in(client, "sam", sam.password)).status_code == 200


async def test_the_account_log_verifies_and_holds_no_secret(
    services: Services, demo: dict[str, DemoPerson], concord: Cli, url: str, tmp_path: Path
) -> None:
    sam = demo["sam"]
    issued = await services.tokens.issue(sam.user_id, "a script")
    one_time = await services.accounts.reset_password(sam.user_id, meta={"actor": "tests"})
    async with client_of(services) as client:
        csrf = {"X-CSRF-Token": (await _sign_in(client, "sam", one_time)).json()["csrf_token"]}
        changed = await client.post(
            "/api/session/password",
            json={"current_password": one_time, "new_password": NEW_PASSWORD},
            headers=csrf,
        )
        assert changed.status_code == 200
        await _sign_in(client, "sam", "a wrong password typed")
    assert (await concord("--db", url, "verify"))[0] == 0
    out = tmp_path / "log.jsonl"
    assert (await concord("--db", url, "export", "--format", "jsonl", "--out", str(out)))[0] == 0
    exported = out.read_text()
    assert f"system/account/{sam.user_id}" in exported
    for secret in (sam.password, one_time, NEW_PASSWORD, issued.token, "a wrong password typed"):
        assert secret not in exported
    assert "$argon2" not in exported
