"""``concord user ...``: the operator's account commands. ``create`` writes one account and
reads nothing of the trials' log (its cost does not grow with the log); the new user signs
in to the server that serves that log and must first replace the password the operator
chose. Every change is in the account's stream, attributed to the operator."""

from __future__ import annotations

import httpx
import pytest

from domain.streams import trial_stream
from events import EventStore, NewEvent, StreamAppend
from server.bootstrap_accounts import open_accounts
from server.demo import DemoPerson
from tests.integration.server.conftest import Cli

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
