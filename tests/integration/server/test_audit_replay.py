"""An auditor replays the demo trial over HTTP: state at a position or time, stepping one
event back and forward, and who could do what at that moment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

import httpx

from server.app import create_app
from server.audit.history import TrialHistory
from server.demo import DEMO_TRIAL, DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api


def section(replayed: dict[str, object], number: str) -> str:
    protocol = replayed["protocol"]
    assert isinstance(protocol, dict)
    return str(next(s["text"] for s in protocol["sections"] if s["number"] == number))


async def test_replay_at_the_head_shows_every_part_of_the_trial(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    response = await app_client.get(f"{trial}/audit/replay", headers=await as_user("aud"))
    assert response.status_code == 200, response.text
    now = response.json()
    assert now["next"] is None
    assert now["protocol"]["current_version"] == 1
    [amendment] = now["amendments"]
    assert (amendment["amendment_id"], amendment["status"]) == ("A-1", "submitted")
    [motion] = now["motions"]
    assert motion["status"] == "decided"
    assert {t["option"]: t["votes"] for t in motion["tally"]} == {"yes": 3, "no": 1}
    [dispute] = now["disputes"]
    assert dispute["resolved_by"] == demo["ivy"].user_id
    assert demo["aud"].user_id in now["workspace"]["members"]
    assert now["record"] is None


async def test_one_record_comes_in_full_as_it_then_was(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    headers = await as_user("aud")
    first_vote, *_ = await services.store.read_all(types=["VoteCast"])
    query = {"record": "motion/M-1", "at": str(first_vote.position)}
    response = await app_client.get(f"{trial}/audit/replay", params=query, headers=headers)
    motion = response.json()["record"]
    assert (motion["status"], list(motion["votes"].values())) == ("open", ["yes"])
    refused = await app_client.get(
        f"{trial}/audit/replay", params={"record": "nothing/x"}, headers=headers
    )
    assert refused.status_code == 422


async def test_stepping_back_and_forward_walks_the_trial_one_event_at_a_time(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    headers = await as_user("aud")
    [revised] = await services.store.read_all(types=["SectionRevised"])

    at_revision = (
        await app_client.get(f"{trial}/audit/replay?at={revised.position}", headers=headers)
    ).json()
    assert at_revision["position"] == revised.position
    assert "Oral corticosteroids" in section(at_revision, "5.3")
    assert at_revision["protocol"]["current_version"] == 0

    back = await app_client.get(
        f"{trial}/audit/replay?at={at_revision['previous']}", headers=headers
    )
    assert "Oral corticosteroids" not in section(back.json(), "5.3")
    assert back.json()["next"] == revised.position
    assert back.json()["events"] == at_revision["events"] - 1

    step = at_revision["next"]
    forward = await app_client.get(f"{trial}/audit/replay?at={step}", headers=headers)
    assert forward.json()["protocol"]["current_version"] == 1  # the next event published v1


async def test_replay_by_time_before_the_trial_and_after_it(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    headers = await as_user("aud")
    [created] = await services.store.read_all(limit=1, types=["TrialCreated"])
    before = (created.recorded_at - timedelta(seconds=1)).isoformat()
    empty = await app_client.get(f"{trial}/audit/replay", params={"time": before}, headers=headers)
    assert empty.status_code == 200
    assert (empty.json()["workspace"], empty.json()["protocol"]) == (None, None)
    assert empty.json()["next"] == created.position

    later = (created.recorded_at + timedelta(days=3650)).isoformat()
    head = await app_client.get(f"{trial}/audit/replay", params={"time": later}, headers=headers)
    assert head.json()["at"] == await services.store.head_position()


async def test_a_malformed_moment_is_a_problem_not_a_failure(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    headers = await as_user("aud")
    for query in ({"at": "-1"}, {"at": "x"}, {"time": "yesterday"}, {"time": "2026-01-01T00:00"}):
        for what in ("replay", "permissions"):
            response = await app_client.get(f"{trial}/audit/{what}", params=query, headers=headers)
            assert response.status_code == 422, (query, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    both = {"at": "1", "time": "2026-01-01T00:00Z"}
    refused = await app_client.get(f"{trial}/audit/replay", params=both, headers=headers)
    assert refused.status_code == 422


async def test_who_could_do_what_before_and_after_the_auditor_was_granted(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
) -> None:
    aud = demo["aud"].user_id
    grants = await services.store.read_all(types=["RoleGranted"])
    [granted] = [g for g in grants if g.data["user_id"] == aud]
    headers = await as_user("aud")

    before = await app_client.get(
        f"{trial}/audit/permissions?at={granted.position - 1}", headers=headers
    )
    assert before.status_code == 200
    assert aud not in before.json()["actions"]["audit:read"]
    assert aud not in [m["user_id"] for m in before.json()["members"]]

    after = (
        await app_client.get(f"{trial}/audit/permissions?at={granted.position}", headers=headers)
    ).json()
    [member] = [m for m in after["members"] if m["user_id"] == aud]
    assert member["roles"] == ["auditor"]
    assert member["printed_name"] == demo["aud"].printed_name
    assert member["actions"] == ["trial:read", "audit:read", "audit:export"]
    assert aud in after["actions"]["audit:read"]
    assert aud not in after["actions"]["amendment:sign"]


async def test_a_replay_answers_503_while_the_history_is_still_being_built(
    services: Services, as_user: Api, trial: str
) -> None:
    """A request waits ``history_wait`` seconds for a trial's projection at most; the
    build goes on in the background and a later request is answered from it."""
    impatient = replace(
        services,
        settings=replace(services.settings, history_wait=0),
        history=TrialHistory(services.store),
    )

    @asynccontextmanager
    async def given() -> AsyncIterator[Services]:
        yield impatient

    app = create_app(given)
    transport = httpx.ASGITransport(app=app)
    headers = await as_user("aud")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://concord.test") as client,
    ):
        building = await client.get(f"{trial}/audit/replay", headers=headers)
        assert building.status_code == 503
        assert building.headers["retry-after"] == "10"
        assert building.json()["type"].endswith("/history-being-built")
        await impatient.history.positions(DEMO_TRIAL)  # the build has finished
        built = await client.get(f"{trial}/audit/replay", headers=headers)
        assert built.status_code == 200
        assert built.json()["at"] == await services.store.head_position()
    await impatient.history.close()
