"""Probing from outside (issue 16): every client value that reaches the log is bounded,
a client's mistake is a 4xx problem and never a 500, and nothing refused is recorded."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.demo import DemoPerson, load_draft_trial
from server.http.json_body import MAX_DEPTH
from server.services import Services
from tests.integration.server.conftest import OTHER_TRIAL, Api

COMMENTS = "comments/section/5.2"


def problem_of(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"].endswith("/" + kind), problem
    assert problem["status"] == status
    return problem


# -- X-Request-ID: into the meta of every event, and to every live listener --------------


@pytest.mark.parametrize(
    "request_id",
    [
        "x" * 8_000_000,  # the probe: 8 MB, eight times the largest body
        "x" * 129,
        "",
        "two words",
        "tab\there",
        "caf\u00e9",  # any byte beyond ASCII, as Starlette reads it (latin-1)
        "\u0085next-line",  # a C1 control: raw bytes read back as mojibake
    ],
    ids=["8MB", "129", "empty", "space", "tab", "latin-1", "C1"],
)
async def test_a_malformed_request_id_is_refused_and_nothing_is_recorded(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    trial: str,
    request_id: str,
) -> None:
    headers = {**await as_user("ivy"), "X-Request-ID": request_id}
    head = await services.store.head_position()
    response = await app_client.post(
        f"{trial}/{COMMENTS}",
        json={"text": "Is 75 the right upper limit?"},
        headers={name.encode(): value.encode("latin-1") for name, value in headers.items()},
    )
    problem = problem_of(response, 400, "malformed-request-id")
    assert "1 to 128 visible ASCII characters" in problem["detail"]
    assert len(response.content) < 1_000  # the header is not echoed back
    assert await services.store.head_position() == head


async def test_a_malformed_request_id_founds_no_trial(
    app_client: httpx.AsyncClient, services: Services, as_user: Api
) -> None:
    head = await services.store.head_position()
    response = await app_client.post(
        "/api/trials",
        json={
            "trial_id": "copd-999",
            "title": "COPD-999",
            "organization_name": "Northwind Therapeutics",
            "organization_id": "northwind",
            "organization_kind": "sponsor",
        },
        headers={**await as_user("alex"), "X-Request-ID": "y" * 10_000},
    )
    problem_of(response, 400, "malformed-request-id")
    assert await services.store.head_position() == head


async def test_a_well_formed_request_id_is_recorded_as_sent(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    longest = "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331~" + "z" * 78
    assert len(longest) == 128
    for request_id in ("7c9e6679-7425-40de-944b-e07fc1f0d04b", longest):
        response = await app_client.post(
            f"{trial}/{COMMENTS}",
            json={"text": f"Comment {request_id[:8]}"},
            headers={**await as_user("ivy"), "X-Request-ID": request_id},
        )
        assert response.status_code == 201, response.text
        [event] = await services.store.read_all(after=response.json()["position"] - 1, limit=1)
        assert event.meta["request_id"] == request_id


@pytest.mark.parametrize("organization_id", ["x" * 65, "../sponsor", "north wind", "-lead"])
async def test_an_organization_id_in_a_body_is_held_to_the_id_pattern(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    trial: str,
    organization_id: str,
) -> None:
    head = await services.store.head_position()
    response = await app_client.post(
        f"{trial}/organizations",
        json={"organization_id": organization_id, "name": "Harbour CRO", "kind": "cro"},
        headers=await as_user("alex"),
    )
    problem = problem_of(response, 422, "malformed-id")
    assert problem["detail"].startswith("organization_id ")
    assert await services.store.head_position() == head


async def test_the_subject_of_a_dispute_is_held_to_the_id_pattern(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    head = await services.store.head_position()
    response = await app_client.post(
        f"{trial}/disputes",
        json={"subject_kind": "amendment", "subject_id": "A-1 " * 1000, "concern": "Too fast"},
        headers=await as_user("ivy"),
    )
    problem = problem_of(response, 422, "malformed-id")
    assert len(problem["detail"]) < 300
    assert await services.store.head_position() == head
    raised = await app_client.post(
        f"{trial}/disputes",
        json={"subject_kind": "section", "subject_id": "5.2", "concern": "Too fast"},
        headers=await as_user("ivy"),
    )
    assert raised.status_code == 201, raised.text


# -- 500s for a client's mistake -------------------------------------------------------


async def test_signing_while_password_checks_are_throttled_is_429(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    headers = await as_user("sam")
    content_hash = (await app_client.get(f"{trial}/amendments/A-1", headers=headers)).json()[
        "content_hash"
    ]
    wrong = {"meaning": "approval", "content_hash": content_hash, "password": "not it at all"}
    head = await services.store.head_position()
    for _ in range(5):
        refused = await app_client.post(
            f"{trial}/amendments/A-1/signatures", json=wrong, headers=headers
        )
        problem_of(refused, 403, "signature-not-confirmed")
    throttled = await app_client.post(
        f"{trial}/amendments/A-1/signatures", json=wrong, headers=headers
    )
    problem_of(throttled, 429, "too-many-failed-logins")
    assert int(throttled.headers["retry-after"]) > 0
    assert await services.store.head_position() == head


def nested(depth: int) -> bytes:
    """A JSON object ``depth`` objects deep: {"a":{"a":...{"a":1}...}}."""
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 980, 1_000, 1_023])
async def test_deeply_nested_json_is_a_400_even_before_signing_in(
    app_client: httpx.AsyncClient, depth: int
) -> None:
    response = await app_client.post(
        "/api/session", content=nested(depth), headers={"Content-Type": "application/json"}
    )
    problem = problem_of(response, 400, "malformed-json")
    assert f"deeper than {MAX_DEPTH} levels" in problem["detail"]


async def test_deeply_nested_json_in_a_command_is_a_400_and_nothing_is_recorded(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    head = await services.store.head_position()
    deep_list = b'{"text": "x", "extra": ' + b"[" * 1_000 + b"]" * 1_000 + b"}"
    for content in (nested(1_000), deep_list):
        response = await app_client.post(
            f"{trial}/{COMMENTS}",
            content=content,
            headers={**await as_user("ivy"), "Content-Type": "application/json"},
        )
        problem_of(response, 400, "malformed-json")
    assert await services.store.head_position() == head


async def test_json_as_deep_as_allowed_is_read(app_client: httpx.AsyncClient) -> None:
    body = b'{"username": "nobody", "password": "wrong", "x": ' + nested(MAX_DEPTH - 1) + b"}"
    response = await app_client.post(
        "/api/session", content=body, headers={"Content-Type": "application/json"}
    )
    problem_of(response, 422, "unknown-fields")  # read, then refused for what it holds


@pytest.mark.parametrize(
    "if_match",
    ["9" * 5_000, '"' + "9" * 5_000 + '"', "9" * 19, '"\u00b2"', "\u00b2", "-1", "W/seven"],
    ids=["5000-digits", "5000-quoted", "19-digits", "superscript-quoted", "superscript", "-1", "W"],
)
async def test_a_malformed_if_match_is_a_400(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str, if_match: str
) -> None:
    head = await services.store.head_position()
    response = await app_client.post(
        f"{trial}/{COMMENTS}",
        json={"text": "Is 75 the right upper limit?"},
        headers=[
            *((name.encode(), value.encode()) for name, value in (await as_user("ivy")).items()),
            (b"If-Match", if_match.encode()),
        ],
    )
    problem = problem_of(response, 400, "malformed-if-match")
    assert len(problem["detail"]) < 200
    assert await services.store.head_position() == head


async def test_an_if_match_of_18_digits_is_a_stale_version_not_an_overflow(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    head = await services.store.head_position()
    response = await app_client.post(
        f"{trial}/{COMMENTS}",
        json={"text": "Is 75 the right upper limit?"},
        headers={**await as_user("ivy"), "If-Match": '"' + "9" * 18 + '"'},
    )
    problem_of(response, 412, "stale-version")
    assert await services.store.head_position() == head


@pytest.mark.parametrize(
    "number", ["%C2%B2", "9" * 5_000, "9" * 19, "-1", "1e3"], ids=["²", "5000", "19", "-1", "1e3"]
)
async def test_a_conflict_number_that_is_no_whole_number_is_a_422(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str, number: str
) -> None:
    head = await services.store.head_position()
    response = await app_client.post(
        f"{trial}/protocol/conflicts/{number}/resolution",
        json={"text": "agreed", "head_revision": 1, "reason": "agreed"},
        headers=await as_user("sam"),
    )
    problem = problem_of(response, 422, "malformed-path")
    assert len(problem["detail"]) < 200
    assert await services.store.head_position() == head


async def test_a_section_number_with_a_part_too_long_is_refused(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    as_user: Api,
) -> None:
    await load_draft_trial(services, list(demo.values()))
    head = await services.store.head_position()
    response = await app_client.post(
        "/api/trials/copd-202/protocol/sections",
        json={"number": "5.2." + "9" * 5_000, "heading": "Too deep", "text": "x", "reason": "x"},
        headers=await as_user("ivy"),
    )
    problem_of(response, 422, "invalid-section-number")
    assert await services.store.head_position() == head


# -- Invisible text in what people sign ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Take \u202egm 5\u202c daily",  # right-to-left override: shows "Take 5 mg daily"
        "Take 5\u2066 mg\u2069 daily",  # an isolate
        "Take 5\u200b0 mg daily",  # a zero-width space hides in 50
        "\ufeffTake 5 mg daily",  # a byte order mark
        "Take 5\u200d0 mg daily",  # a joiner that joins no letters
        "Take 5 mg\u0085daily",  # a C1 control
    ],
    ids=["override", "isolate", "zero-width-space", "bom", "joiner-in-digits", "C1"],
)
async def test_invisible_characters_are_refused_in_protocol_text_and_comments(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
    text: str,
) -> None:
    await load_draft_trial(services, list(demo.values()))
    ivy = await as_user("ivy")
    protocol = (await app_client.get("/api/trials/copd-202/protocol", headers=ivy)).json()
    [section] = [s for s in protocol["sections"] if s["number"] == "5.2"]
    head = await services.store.head_position()
    revision = await app_client.put(
        "/api/trials/copd-202/protocol/sections/5.2",
        json={"text": text, "base_revision": section["revision"], "reason": "Hardening"},
        headers=ivy,
    )
    problem = problem_of(revision, 422, "control-character")
    assert problem["title"] == "The text holds a control character"
    assert problem["detail"].startswith("body.text holds the invisible character U+")
    comment = await app_client.post(f"{trial}/{COMMENTS}", json={"text": text}, headers=ivy)
    problem_of(comment, 422, "control-character")
    assert await services.store.head_position() == head


async def test_text_that_needs_a_joiner_is_accepted(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    persian = "شرکت‌کنندگان دارو را می‌خورند."  # zero-width non-joiners, as Persian is written
    response = await app_client.post(
        f"{trial}/{COMMENTS}", json={"text": persian}, headers=await as_user("ivy")
    )
    assert response.status_code == 201, response.text
    assert response.json()["events"][0]["data"]["text"] == persian


# -- A trial you may not see answers as one that does not exist ------------------------


def alike(response: httpx.Response, trial_id: str) -> tuple[int, str, str, str, str]:
    """The answer with the trial's id taken out of it."""
    problem = response.json()
    return (
        response.status_code,
        problem["type"],
        problem["title"],
        problem["detail"].replace(trial_id, "<trial>"),
        problem["instance"].replace(trial_id, "<trial>"),
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("GET", "/protocol", None),
        ("GET", "/amendments/A-1", None),
        ("GET", "/audit/trail?record=amendment/A-1", None),
        ("POST", "/comments/section/5.2", {"text": "Hello?"}),
        ("POST", "/organizations", {}),
    ],
)
async def test_a_trial_you_are_not_in_answers_exactly_as_one_that_does_not_exist(
    app_client: httpx.AsyncClient,
    as_user: Api,
    other_trial: None,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    auditor = await as_user("aud")  # reads and audits asthma-301, a stranger to the other
    answers = [
        await app_client.request(
            method, f"/api/trials/{trial_id}{path}", json=body, headers=auditor
        )
        for trial_id in (OTHER_TRIAL, "no-such-trial")
    ]
    assert answers[0].status_code == 404
    assert alike(answers[0], OTHER_TRIAL) == alike(answers[1], "no-such-trial")


async def test_a_member_lacking_the_action_is_still_told_403(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    response = await app_client.post(
        f"{trial}/{COMMENTS}", json={"text": "Hello?"}, headers=await as_user("aud")
    )
    problem = problem_of(response, 403, "not-authorized")
    assert problem["action"] == "comment:post"
