"""``concord user ...``: the operator's account commands. ``create`` writes one account and
reads nothing of the trials' log (its cost does not grow with the log); the new user signs
in to the server that serves that log and must first replace the password the operator
chose. Every change is in the account's stream, attributed to the operator."""

from __future__ import annotations

import getpass

import httpx
import pytest

from domain.streams import trial_stream
from events import EventStore, NewEvent, StreamAppend
from server.bootstrap_accounts import open_accounts
from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Cli, client_of

PASSWORD = "a long enough passphrase"


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    """The password ``concord user create`` reads (it would prompt without it)."""
    monkeypatch.setenv("CONCORD_PASSWORD", PASSWORD)
    return PASSWORD


async def test_a_user_created_beside_a_trial_signs_in_to_the_server(
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    url: str,
    concord: Cli,
    password: str,
) -> None:
    code, out = await concord("--db", url, "user", "create", "nadia", "Nadia Novak")
    assert code == 0
    assert out.startswith("created nadia (Nadia Novak): user id u-")
    signed_in = await app_client.post(
        "/api/session", json={"username": "nadia", "password": password}
    )
    assert signed_in.status_code == 200
    me = await app_client.get("/api/session")
    assert me.json()["user"]["printed_name"] == "Nadia Novak"
    assert me.json()["user"]["must_change_password"] is True
    csrf = {"X-CSRF-Token": me.json()["csrf_token"]}
    refused = await app_client.get("/api/trials")
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/password-change-required")
    new_password = "nadia's own secret phrase"
    changed = await app_client.post(
        "/api/session/password",
        json={"current_password": password, "new_password": new_password},
        headers=csrf,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["user"]["must_change_password"] is False
    assert (await app_client.get("/api/trials")).status_code == 200
    # The operator who chose the first password can no longer sign in with it.
    app_client.cookies.clear()
    again = await app_client.post("/api/session", json={"username": "nadia", "password": password})
    assert again.status_code == 401


async def test_creating_a_user_reads_no_event(
    store: EventStore, url: str, concord: Cli, password: str
) -> None:
    # No projection can fold this event (a trial without a title): a command that started
    # them would fail here, one that opens the accounts alone does not notice it.
    unfoldable = NewEvent("TrialCreated", {"trial_id": "t-broken"})
    await store.append(StreamAppend(trial_stream("t-broken"), [unfoldable]))
    code, out = await concord("--db", url, "user", "create", "nadia", "Nadia Novak")
    assert (code, out.split(":")[0]) == (0, "created nadia (Nadia Novak)")
    async with open_accounts(url) as tools:
        user = await tools.accounts.authenticate("nadia", password, client=None)
    assert user.printed_name == "Nadia Novak"


async def test_a_refused_user_is_reported_and_not_created(
    store: EventStore, url: str, concord: Cli, password: str
) -> None:
    assert (await concord("--db", url, "user", "create", "nadia", "Nadia Novak"))[0] == 0
    code, out = await concord("--db", url, "user", "create", "NADIA", "Another Nadia")
    assert (code, out) == (1, "")
    async with open_accounts(url) as tools:
        listed = await tools.accounts.list_users()
    assert [user.printed_name for user in listed] == ["Nadia Novak"]


async def test_the_operators_account_commands_are_recorded_as_the_operator(
    services: Services, demo: dict[str, DemoPerson], url: str, concord: Cli
) -> None:
    ivy = demo["ivy"]
    token = (await services.tokens.issue(ivy.user_id, "ivy's script")).token
    bearer = {"Authorization": f"Bearer {token}"}
    async with client_of(services) as client:
        # (Not used before: this server's credential cache would believe it for 5 more s.)
        code, out = await concord("--db", url, "user", "disable", "ivy", "--reason", "on leave")
        assert (code, out.startswith("disabled ivy")) == (0, True)
        assert (await client.get("/api/trials", headers=bearer)).status_code == 401
        signed_in = await client.post(
            "/api/session", json={"username": "ivy", "password": ivy.password}
        )
        assert signed_in.status_code == 401
        code, _ = await concord("--db", url, "user", "disable", "ivy", "--reason", "again")
        assert code == 1  # already disabled: nothing recorded

        assert (await concord("--db", url, "user", "enable", "ivy", "--reason", "back"))[0] == 0
        code, out = await concord("--db", url, "user", "reset", "ivy")
        assert code == 0
        one_time = out.split("one-time password for ivy: ")[1].split()[0]
        signed_in = await client.post(
            "/api/session", json={"username": "ivy", "password": one_time}
        )
        assert signed_in.json()["user"]["must_change_password"] is True

        granted = await concord(
            "--db", url, "user", "grant", "ivy", "account_auditor", "--reason", "audits accounts"
        )
        assert granted[0] == 0
        code, out = await concord("--db", url, "user", "list")
        assert code == 0
        [line] = [line for line in out.splitlines() if line.startswith("ivy ")]
        assert "must change password" in line
        assert "account_auditor" in line
        revoked = await concord(
            "--db", url, "user", "revoke", "ivy", "account_auditor", "--reason", "done"
        )
        assert revoked[0] == 0
        assert (await concord("--db", url, "user", "reset", "nobody"))[0] == 1

    trail = [e for e in await services.account_log.trail(ivy.user_id) if e.meta.get("via") == "cli"]
    assert [e.type for e in trail] == [
        "AccountDisabled",
        "AccountEnabled",
        "PasswordReset",
        "SystemRoleGranted",
        "SystemRoleRevoked",
    ]
    assert {e.meta["actor"] for e in trail} == {f"operator:{getpass.getuser()}"}
    assert trail[0].data["reason"] == "on leave"
