"""The auditor's timeline: the trial's events in plain words, filtered and paged."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import server.audit.timeline
from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.test_audit_exports import signed_by_sam


async def timeline(
    client: httpx.AsyncClient, as_user: Api, trial: str, who: str = "aud", **params: str
) -> httpx.Response:
    return await client.get(f"{trial}/audit/timeline", params=params, headers=await as_user(who))


async def entries(
    client: httpx.AsyncClient, as_user: Api, trial: str, **params: str
) -> list[dict[str, Any]]:
    response = await timeline(client, as_user, trial, limit="1000", **params)
    assert response.status_code == 200, response.text
    assert response.json()["next_after"] is None
    found: list[dict[str, Any]] = response.json()["entries"]
    return found


async def test_each_event_reads_in_plain_words_with_who_and_a_summary(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    everything = await entries(app_client, as_user, trial)
    assert [e["position"] for e in everything] == sorted(e["position"] for e in everything)
    [submitted] = [e for e in everything if e["event"] == "AmendmentSubmitted"]
    assert submitted["text"] == "Dr Ivy Chen submitted amendment A-1 for signature"
    assert submitted["user_id"] == demo["ivy"].user_id
    assert submitted["printed_name"] == "Dr Ivy Chen"
    assert submitted["record"] == "amendment/A-1"
    assert submitted["marker"] == "amendment"
    assert submitted["recorded_at"].endswith("Z")
    [opened] = [e for e in everything if e["event"] == "AmendmentOpened"]
    assert opened["text"] == "Dr Ivy Chen opened amendment A-1"
    assert opened["summary"] == "Widen the upper age limit to 75 years"
    [published] = [e for e in everything if e["event"] == "ProtocolVersionPublished"]
    assert published["text"] == "Samira Reyes published version 1 of the protocol"
    assert published["marker"] == "version"
    [decided] = [e for e in everything if e["event"] == "MotionDecided"]
    assert decided["marker"] == "decision"
    assert decided["summary"].startswith("yes: 3; no: 1")
    granted = [e for e in everything if e["event"] == "RoleGranted"]
    assert any(e["text"] == "Alex Morgan granted Audrey Fischer the role auditor" for e in granted)
    for entry in everything:
        assert not entry["text"].startswith(entry["user_id"] or "-"), "a name, not an id"
        assert entry["event"] not in entry["text"]


async def test_an_approval_is_the_consequence_of_the_last_signature_not_the_signers_act(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    await signed_by_sam(app_client, demo, as_user, trial)
    signed, approved = (await entries(app_client, as_user, trial, record="amendment/A-1"))[-2:]
    assert signed["text"] == "Samira Reyes signed amendment A-1 (approval)"
    assert signed["marker"] == "signature"
    assert not signed["automatic"]
    assert approved["text"] == "Amendment A-1 approved (all required signatures given)"
    assert approved["summary"] == "signed by Samira Reyes"
    assert approved["automatic"]
    assert approved["marker"] == "decision"
    assert approved["user_id"] == demo["sam"].user_id, "recorded with Sam's request"


async def test_filters_by_kind_person_record_and_time(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    everything = await entries(app_client, as_user, trial)
    marked = await entries(app_client, as_user, trial, kind="version,amendment,decision")
    assert marked == [e for e in everything if e["marker"] in ("version", "amendment", "decision")]
    assert {e["marker"] for e in marked} == {"version", "amendment", "decision"}
    pat = demo["pat"].user_id
    hers = await entries(app_client, as_user, trial, by=pat)
    assert hers == [e for e in everything if e["user_id"] == pat]
    assert 0 < len(hers) < len(everything)
    assert all(e["printed_name"] == "Pat Okafor" for e in hers)
    dispute = await entries(app_client, as_user, trial, record="dispute/D-1")
    assert [e["event"] for e in dispute] == ["DisputeRaised", "DisputeResolved"]
    times = sorted({e["recorded_at"] for e in everything})
    since, until = times[2], times[-3]
    window = await entries(app_client, as_user, trial, since=since, until=until)
    assert window == [e for e in everything if since <= e["recorded_at"] <= until]
    assert 0 < len(window) < len(everything)


async def test_read_a_page_at_a_time_it_is_the_whole_timeline(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    everything = await entries(app_client, as_user, trial)
    pages: list[list[dict[str, Any]]] = []
    response = await timeline(app_client, as_user, trial, limit="7")
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json()["entries"])
        following = response.links.get("next")
        if following is None:
            assert response.json()["next_after"] is None
            break
        assert len(pages[-1]) == 7
        assert response.json()["next_after"] == pages[-1][-1]["position"]
        url = urlsplit(following["url"])
        response = await app_client.get(f"{url.path}?{url.query}", headers=await as_user("aud"))
    assert len(pages) > 2
    assert [e for page in pages for e in page] == everything
    for earlier, later in itertools.pairwise(pages):
        assert earlier[-1]["position"] < later[0]["position"]
    at = everything[10]["position"]
    [one] = (await timeline(app_client, as_user, trial, after=str(at - 1), limit="1")).json()[
        "entries"
    ]
    assert one == everything[10], "the event at a position: the one after the position before"


async def test_a_filtered_read_stops_at_its_window_and_goes_on_from_there(
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    everything = await entries(app_client, as_user, trial)
    pat = demo["pat"].user_id
    monkeypatch.setattr(server.audit.timeline, "SCAN_WINDOW", 5)
    monkeypatch.setattr(server.audit.timeline, "KIND_WINDOW", 5)
    gathered: list[dict[str, Any]] = []
    after, asked = "0", 0
    while True:
        response = await timeline(app_client, as_user, trial, by=pat, after=after)
        assert response.status_code == 200, response.text
        page = response.json()
        gathered += page["entries"]
        asked += 1
        if page["next_after"] is None:
            break
        assert int(page["next_after"]) - int(after) <= 5, "no more than the window read"
        after = str(page["next_after"])
    assert asked > 5, "the window was reached"
    assert gathered == [e for e in everything if e["user_id"] == pat]
    decisions: list[dict[str, Any]] = []
    resume: int | None = 0
    while resume is not None:
        response = await timeline(app_client, as_user, trial, kind="decision", after=str(resume))
        decisions += response.json()["entries"]
        resume = response.json()["next_after"]
    assert decisions == [e for e in everything if e["marker"] == "decision"]
    assert decisions


async def test_the_edges_of_time_and_position_answer_without_failing(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    everything = await entries(app_client, as_user, trial)
    assert await entries(app_client, as_user, trial, since="0001-01-01T00:00:00Z") == everything
    assert await entries(app_client, as_user, trial, until="0001-01-01T00:00:00Z") == []
    assert await entries(app_client, as_user, trial, since="9999-12-31T00:00:00Z") == []
    assert await entries(app_client, as_user, trial, after="999999999999999999") == []


async def test_bad_requests_and_people_without_audit_rights_are_refused_recording_nothing(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    head = await services.store.head_position()
    for params, kind in (
        ({"kind": "comments"}, "unknown-kind"),
        ({"limit": "0"}, "malformed-limit"),
        ({"limit": "1001"}, "malformed-limit"),
        ({"after": "-1"}, "malformed-position"),
        ({"since": "yesterday"}, "malformed-time"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "empty-time-window"),
        ({"record": "amendment/../x"}, "unknown-record"),
    ):
        refused = await timeline(app_client, as_user, trial, **params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith(kind)
    advocate = await timeline(app_client, as_user, trial, who="pat")
    assert advocate.status_code == 403
    assert advocate.headers["content-type"] == "application/problem+json"
    unknown = await timeline(app_client, as_user, "/api/trials/no-such-trial")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert await services.store.head_position() == head


async def test_a_non_member_is_refused(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, other_trial: None
) -> None:
    refused = await timeline(app_client, as_user, "/api/trials/other-trial")
    assert refused.status_code in (403, 404)
    assert refused.headers["content-type"] == "application/problem+json"
