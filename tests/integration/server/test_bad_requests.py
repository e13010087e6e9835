"""A client's mistake gets a clear problem+json answer, and changes nothing."""

from __future__ import annotations

import httpx
import pytest

from server.demo import DemoPerson
from server.http.json_body import MAX_BODY_BYTES
from server.services import Services
from tests.integration.server.conftest import Api


@pytest.mark.parametrize(
    ("content", "content_type", "status", "kind"),
    [
        (b'{"text": "x",', "application/json", 400, "malformed-json"),
        (b"[1, 2]", "application/json", 400, "json-object-expected"),
        (b'{"text": NaN}', "application/json", 400, "malformed-json"),
        # a lone surrogate has no UTF-8 form: it could never be written to the log
        (b'{"text": "x\\ud800", "section": null}', "application/json", 400, "malformed-json"),
        (b'{"text": "\xff\xfe", "section": null}', "application/json", 400, "malformed-json"),
        (b"[" * 2000 + b"]" * 2000, "application/json", 400, "malformed-json"),
        (b"text=x", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        (
            b'{"text": "x", "section": null, "actor": "me"}',
            "application/json",
            422,
            "unknown-fields",
        ),
        (b'{"text": 12, "section": null}', "application/json", 422, "invalid-body"),
        (b'{"text": "ok", "section": 5.2}', "application/json", 422, "invalid-body"),
        (b'{"text": "   ", "section": null}', "application/json", 422, "required-text-missing"),
        (b'{"text": "a\\u0000b", "section": null}', "application/json", 422, "control-character"),
        (b'{"text": "\\u0007", "section": null}', "application/json", 422, "control-character"),
        (b'{"text": "ok", "section": "9.9"}', "application/json", 404, "proposed-change-not-found"),
    ],
)
async def test_malformed_commands_are_refused_with_a_problem_and_nothing_recorded(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    trial: str,
    content: bytes,
    content_type: str,
    status: int,
    kind: str,
) -> None:
    headers = {**await as_user("ivy"), "Content-Type": content_type}
    head = await services.store.head_position()
    response = await app_client.post(
        f"{trial}/amendments/A-1/review-comments", content=content, headers=headers
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/" + kind)
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert await services.store.head_position() == head


async def test_tabs_and_line_breaks_are_text_not_control_characters(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    text = "First point.\r\n\tSecond point, indented.\nThird."
    response = await app_client.post(
        f"{trial}/amendments/A-1/review-comments",
        json={"text": text, "section": None},
        headers=await as_user("ivy"),
    )
    assert response.status_code in (200, 201), response.text
    assert response.json()["events"][0]["data"]["text"] == text


async def test_an_oversized_body_is_refused_before_it_is_read(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    huge = b'{"text": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = await app_client.post(
        f"{trial}/amendments/A-1/review-comments",
        content=huge,
        headers={**await as_user("ivy"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/body-too-large")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/trials/no-such-trial", 404),
        ("/api/trials/asthma-301/amendments/A-404", 404),
        ("/api/trials/asthma-301/motions/M-404", 404),
        ("/api/trials/asthma-301/comments/diary/A-1", 404),
        ("/api/trials/bad%20id", 422),
        ("/api/nowhere", 404),
    ],
)
async def test_unknown_things_are_404_problems(
    app_client: httpx.AsyncClient, as_user: Api, path: str, status: int
) -> None:
    response = await app_client.get(path, headers=await as_user("aud"))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_wrong_method_is_a_405_problem(app_client: httpx.AsyncClient) -> None:
    response = await app_client.patch("/api/session")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


async def test_without_credentials_every_api_route_is_401(
    app_client: httpx.AsyncClient, trial: str
) -> None:
    for path in ("/api/trials", trial, f"{trial}/protocol", "/api/tokens"):
        response = await app_client.get(path)
        assert response.status_code == 401
        assert response.json()["title"] == "Not signed in"
    forged = await app_client.get(trial, headers={"Authorization": "Bearer concord_forged"})
    assert forged.status_code == 401


async def test_plain_http_to_the_live_websocket_says_how_to_connect(
    app_client: httpx.AsyncClient,
) -> None:
    response = await app_client.get("/api/live?trial=asthma-301")
    assert response.status_code == 426
    assert response.headers["upgrade"] == "websocket"
    assert response.json()["type"].endswith("/websocket-required")


async def test_a_number_the_log_cannot_hold_is_a_422_problem_and_changes_nothing(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    headers = await as_user("alex")
    charter = (await app_client.get(trial, headers=headers)).json()["charter"]
    charter["quorum_rules"][0]["participation"] = {
        "numerator": 2**60,
        "denominator": 2**61,
        "inclusive": True,
    }
    head = await services.store.head_position()
    response = await app_client.put(
        f"{trial}/charter", json={"charter": charter, "reason": "rounding"}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/value-not-recordable")
    assert "quorum_rules[0].participation.numerator" in problem["detail"]
    assert "safe range" in problem["detail"]
    assert await services.store.head_position() == head


async def test_an_illegal_transition_is_409_and_names_the_rule(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    revise = {"base_revision": 1, "text": "Protocol is published; this must fail", "reason": "r"}
    response = await app_client.put(
        f"{trial}/protocol/sections/5.2", json=revise, headers=await as_user("sam")
    )
    assert response.status_code == 409
    assert response.json()["rule"]


async def test_repeated_wrong_passwords_are_throttled_with_retry_after(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson]
) -> None:
    statuses = []
    for _ in range(8):
        response = await app_client.post(
            "/api/session", json={"username": "pat", "password": "guessing wrongly"}
        )
        statuses.append(response.status_code)
    assert statuses[0] == 401
    assert statuses[-1] == 429
    assert int(response.headers["retry-after"]) > 0
    right = {"username": "pat", "password": demo["pat"].password}
    still_locked = await app_client.post("/api/session", json=right)
    assert still_locked.status_code == 429


async def test_api_tokens_are_shown_once_listed_and_revoked(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    issued = await app_client.post("/api/tokens", json={"name": "nightly export"}, headers=ivy)
    assert issued.status_code == 201
    token = issued.json()["token"]
    script = {"Authorization": f"Bearer {token}"}
    assert (await app_client.get(trial, headers=script)).status_code == 200
    listed = (await app_client.get("/api/tokens", headers=ivy)).json()
    assert "token" not in listed[-1]
    assert listed[-1]["name"] == "nightly export"
    revoked = await app_client.delete(f"/api/tokens/{issued.json()['token_id']}", headers=ivy)
    assert revoked.status_code == 204
    assert (await app_client.get(trial, headers=script)).status_code == 401


async def test_signing_out_ends_the_session(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], trial: str
) -> None:
    sam = demo["sam"]
    signed_in = await app_client.post(
        "/api/session", json={"username": "sam", "password": sam.password}
    )
    csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
    assert (await app_client.get(trial)).status_code == 200
    assert (await app_client.delete("/api/session", headers=csrf)).status_code == 204
    assert (await app_client.get(trial)).status_code == 401
