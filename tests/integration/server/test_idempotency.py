"""Idempotency-Key on command routes: a client that retries a command it cannot tell was
recorded gets the first answer again, and the command is recorded once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from domain.streams import trial_stream
from server.bootstrap import open_services
from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api, client_of
from tests.integration.server.founders import make_trial_creator

THREAD = "comments/section/5.2"


async def thread_texts(client: httpx.AsyncClient, headers: dict[str, str], trial: str) -> list[str]:
    thread = await client.get(f"{trial}/{THREAD}", headers=headers)
    assert thread.status_code == 200, thread.text
    return sorted(comment["text"] for comment in thread.json()["comments"].values())


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def same_answer(first: httpx.Response, again: httpx.Response) -> None:
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["etag"] == first.headers["etag"]
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_comment_posted_twice_with_one_key_is_recorded_once(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    ivy = keyed(await as_user("ivy"), "post-75-limit")
    comment = {"text": "Is 75 the right upper limit?"}
    first = await app_client.post(f"{trial}/{THREAD}", json=comment, headers=ivy)
    assert first.status_code == 201, first.text
    again = await app_client.post(f"{trial}/{THREAD}", json=comment, headers=ivy)
    same_answer(first, again)
    assert await thread_texts(app_client, ivy, trial) == ["Is 75 the right upper limit?"]
    # The key belongs to that request only: without it, the same body is a new comment.
    plain = await app_client.post(f"{trial}/{THREAD}", json=comment, headers=await as_user("ivy"))
    assert plain.status_code == 201
    assert "idempotent-replayed" not in plain.headers
    assert plain.json()["position"] > first.json()["position"]
    assert len(await thread_texts(app_client, ivy, trial)) == 2


async def test_a_retry_is_answered_though_deciding_it_again_would_be_refused(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    # With the id chosen in the body, a second decision would be a duplicate (409).
    ivy = keyed(await as_user("ivy"), "chosen-id")
    comment = {"comment_id": "C-ivy-1", "text": "Spirometry criteria hold"}
    first = await app_client.post(f"{trial}/{THREAD}", json=comment, headers=ivy)
    assert first.status_code == 201, first.text
    again = await app_client.post(f"{trial}/{THREAD}", json=comment, headers=ivy)
    same_answer(first, again)
    unkeyed = await app_client.post(f"{trial}/{THREAD}", json=comment, headers=await as_user("ivy"))
    assert unkeyed.status_code == 409, "without the key it is a duplicate, as before"


async def test_opening_an_amendment_again_replays_the_id_the_server_chose(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    ivy = keyed(await as_user("ivy"), "open-home-spirometry")
    protocol = await app_client.get(f"{trial}/protocol", headers=ivy)
    opening = {
        "base_version": protocol.json()["current_version"],
        "details": {
            "summary": "Home spirometry at week 12",
            "primary_reason": "Recruitment Difficulty",
            "safety_or_rights_impact": {"likely": False, "explanation": "Same measurement"},
            "data_reliability_impact": {"likely": False, "explanation": "Supervised by video"},
            "enrollment": {"value": 40, "unit": "percent"},
        },
    }
    before = await app_client.get(f"{trial}/amendments", headers=ivy)
    first = await app_client.post(f"{trial}/amendments", json=opening, headers=ivy)
    assert first.status_code == 201, first.text
    again = await app_client.post(f"{trial}/amendments", json=opening, headers=ivy)
    same_answer(first, again)
    [opened] = [e["data"] for e in again.json()["events"] if e["type"] == "AmendmentOpened"]
    after = await app_client.get(f"{trial}/amendments", headers=ivy)
    assert len(after.json()) == len(before.json()) + 1
    shown = await app_client.get(f"{trial}/amendments/{opened['amendment_id']}", headers=ivy)
    assert shown.status_code == 200
    assert shown.json()["details"]["summary"] == "Home spirometry at week 12"


async def test_a_retry_the_log_replays_leaves_no_trace_of_its_own_decision(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    trial: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    credentials = await as_user("ivy")
    ivy = keyed(credentials, "raced-another-server")
    comment = {"text": "Is 75 the right upper limit?"}
    first = await app_client.post(f"{trial}/{THREAD}", json=comment, headers=ivy)
    assert first.status_code == 201, first.text
    thread_before = await app_client.get(f"{trial}/{THREAD}", headers=ivy)

    # As when the first attempt commits (through another server) between this server's
    # look-up of the key and its own write: the retry is decided again (a new comment id)
    # and the log answers it with the first attempt's result.
    async def not_yet_recorded(key: str) -> None:
        return None

    monkeypatch.setattr(services.store, "keyed_append", not_yet_recorded)
    again = await app_client.post(f"{trial}/{THREAD}", json=comment, headers=ivy)
    same_answer(first, again)
    # The state this server folded for the retry was dropped, not kept as if written.
    thread_after = await app_client.get(f"{trial}/{THREAD}", headers=ivy)
    assert thread_after.json() == thread_before.json()
    assert thread_after.headers["etag"] == thread_before.headers["etag"]
    following = await app_client.post(
        f"{trial}/{THREAD}", json={"text": "Next"}, headers=credentials
    )
    assert following.status_code == 201, following.text
    assert await thread_texts(app_client, ivy, trial) == ["Is 75 the right upper limit?", "Next"]


async def test_a_retry_after_a_refused_first_attempt_runs_again(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    ivy = keyed(await as_user("ivy"), "reply-to-omar")
    reply = {"text": "Agreed", "in_reply_to": "C-omar"}
    refused = await app_client.post(f"{trial}/{THREAD}", json=reply, headers=ivy)
    assert refused.status_code == 404, refused.text  # nothing to reply to yet
    omar = await as_user("omar")
    question = {"comment_id": "C-omar", "text": "Should 75 be 80?"}
    posted = await app_client.post(f"{trial}/{THREAD}", json=question, headers=omar)
    assert posted.status_code == 201, posted.text
    retried = await app_client.post(f"{trial}/{THREAD}", json=reply, headers=ivy)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert await thread_texts(app_client, ivy, trial) == ["Agreed", "Should 75 be 80?"]


async def test_a_key_reused_for_another_request_is_refused_and_records_nothing(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    ivy = keyed(await as_user("ivy"), "k-1")
    first = await app_client.post(f"{trial}/{THREAD}", json={"text": "First"}, headers=ivy)
    assert first.status_code == 201, first.text
    for path, body in [
        (THREAD, {"text": "Second"}),
        ("comments/section/5.1", {"text": "First"}),
    ]:
        reused = await app_client.post(f"{trial}/{path}", json=body, headers=ivy)
        assert reused.status_code == 422, reused.text
        assert reused.headers["content-type"] == "application/problem+json"
        assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert await thread_texts(app_client, ivy, trial) == ["First"]
    other = await app_client.get(f"{trial}/comments/section/5.1", headers=ivy)
    assert other.json()["comments"] == {}


async def test_another_users_identical_key_is_their_own(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    comment = {"text": "Visit 4 is too long"}
    ivy = await app_client.post(
        f"{trial}/{THREAD}", json=comment, headers=keyed(await as_user("ivy"), "shared")
    )
    omar = await app_client.post(
        f"{trial}/{THREAD}", json=comment, headers=keyed(await as_user("omar"), "shared")
    )
    assert (ivy.status_code, omar.status_code) == (201, 201)
    assert "idempotent-replayed" not in omar.headers
    assert omar.json()["position"] > ivy.json()["position"]
    authors = {e["data"]["author_id"] for r in (ivy, omar) for e in r.json()["events"]}
    assert len(authors) == 2
    assert await thread_texts(app_client, await as_user("ivy"), trial) == [
        "Visit 4 is too long",
        "Visit 4 is too long",
    ]


@pytest.mark.parametrize("chosen", [{}, {"comment_id": "C-race"}])
async def test_concurrent_identical_requests_with_one_key_record_once(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, chosen: dict[str, Any]
) -> None:
    ivy = keyed(await as_user("ivy"), "raced")
    comment = {**chosen, "text": "Sent twice at once"}
    answers = await asyncio.gather(
        *(app_client.post(f"{trial}/{THREAD}", json=comment, headers=ivy) for _ in range(4))
    )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1, "every answer has the same body"
    assert sum("idempotent-replayed" not in a.headers for a in answers) == 1
    assert await thread_texts(app_client, ivy, trial) == ["Sent twice at once"]


@pytest.mark.parametrize("chosen", [{}, {"comment_id": "C-race"}])
async def test_identical_requests_racing_through_two_servers_record_once(
    app_client: httpx.AsyncClient, url: str, as_user: Api, trial: str, chosen: dict[str, Any]
) -> None:
    ivy = keyed(await as_user("ivy"), "raced-across")
    comment = {**chosen, "text": "Sent to both servers"}
    async with open_services(url) as other, client_of(other) as other_client:
        answers = await asyncio.gather(
            *(
                client.post(f"{trial}/{THREAD}", json=comment, headers=ivy)
                for client in (app_client, other_client, app_client, other_client)
            )
        )
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        assert len({a.text for a in answers}) == 1, "every answer has the same body"
        assert sum("idempotent-replayed" not in a.headers for a in answers) == 1
        for client in (app_client, other_client):
            assert await thread_texts(client, ivy, trial) == ["Sent to both servers"]


@pytest.mark.parametrize(
    "key", [b"", b"has space", "\u00e9-accent".encode("latin-1"), b"x" * 201, b"tab\there"]
)
async def test_a_malformed_key_is_refused(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, key: bytes
) -> None:
    credentials = await as_user("ivy")
    headers = [(name.encode(), value.encode()) for name, value in credentials.items()]
    refused = await app_client.post(
        f"{trial}/{THREAD}", json={"text": "Hi"}, headers=[*headers, (b"Idempotency-Key", key)]
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["type"].endswith("/malformed-idempotency-key")
    assert await thread_texts(app_client, credentials, trial) == []


def founding(trial_id: str, services: Services, **more: Any) -> dict[str, Any]:
    return {
        "trial_id": trial_id,
        "title": "COPD-303",
        "organization_name": "Northwind Therapeutics",
        "organization_id": "northwind",
        "organization_kind": "sponsor",
        **more,
    }


async def test_founding_a_trial_again_with_one_key_is_answered_as_the_first_time(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, demo: dict[str, DemoPerson]
) -> None:
    credentials = await as_user("sam")
    await make_trial_creator(services, demo["sam"].user_id)
    sam = keyed(credentials, "found-copd-303")
    first = await app_client.post("/api/trials", json=founding("copd-303", services), headers=sam)
    assert first.status_code == 201, first.text
    again = await app_client.post("/api/trials", json=founding("copd-303", services), headers=sam)
    same_answer(first, again)
    founded = await services.store.read_all(types=["TrialCreated"])
    assert [e.stream_id for e in founded].count(trial_stream("copd-303")) == 1
    # Without the key it is another founding of the same trial, refused as before.
    unkeyed = await app_client.post(
        "/api/trials", json=founding("copd-303", services), headers=credentials
    )
    assert unkeyed.status_code == 409, unkeyed.text
    # The key with another request records nothing.
    other = await app_client.post(
        "/api/trials", json=founding("copd-304", services, title="COPD-304"), headers=sam
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert not [e for e in await services.store.read_all() if "copd-304" in e.stream_id]
