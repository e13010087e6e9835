"""Nobody hears what they may not read: the handshake, other trials, revoked roles."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from server.demo import DemoPerson
from server.live.messages import CLOSE_ACCESS_REVOKED
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.live.conftest import ALLOWED_ORIGIN, Served, listening
from tests.integration.server.live.test_resume import comment

SECOND_TRIAL = "copd-202"


async def found_second_trial(served: Served, headers: dict[str, str], services: Services) -> None:
    """Found a second trial as the demo's trial creator (Alex, trained at system level)."""
    body = {
        "trial_id": SECOND_TRIAL,
        "title": "COPD-202",
        "organization_name": "Northwind Therapeutics",
        "organization_id": "northwind",
        "organization_kind": "sponsor",
    }
    async with served.client(headers) as client:
        response = await client.post("/api/trials", json=body)
    assert response.status_code == 201, response.text


_admitted = itertools.count(1)


async def admit(client: httpx.AsyncClient, trial: str) -> int:
    """Admit a new organization to ``trial`` (which has no protocol to comment on); the
    position of the event it appended."""
    number = next(_admitted)
    body = {"organization_id": f"site-{number}", "name": f"Site {number}", "kind": "site"}
    response = await client.post(f"{trial}/organizations", json=body)
    assert response.status_code == 201, response.text
    position: int = response.json()["position"]
    return position


async def refused(served: Served, query: str, headers: dict[str, str] | None = None) -> Any:
    """The handshake's problem+json answer (the test fails if the socket opens)."""
    with pytest.raises(InvalidStatus) as refusal:
        async with listening(served, query=query, headers=headers, ready=False):
            pass
    response = refusal.value.response
    assert response.headers["content-type"] == "application/problem+json"
    body = json.loads(response.body)
    assert body["status"] == response.status_code
    return body


async def sign_in(served: Served, person: DemoPerson) -> str:
    async with served.client() as client:
        response = await client.post(
            "/api/session", json={"username": person.username, "password": person.password}
        )
    assert response.status_code == 200, response.text
    return f"concord_session={response.cookies['concord_session']}"


async def test_a_listener_hears_nothing_of_another_trial(
    served: Served, services: Services, as_user: Api, trial: str
) -> None:
    alex = await as_user("alex")
    await found_second_trial(served, alex, services)
    async with (
        served.client(alex) as admin,
        listening(served, query="trial=asthma-301", headers=await as_user("ivy")) as ivy,
    ):
        for _ in range(3):
            await admit(admin, f"/api/trials/{SECOND_TRIAL}")
        ours = await comment(admin, trial)
        await ivy.until_position(ours)
    assert ivy.positions == [ours]
    assert {e["stream"].split("/")[1] for e in ivy.events} == {"asthma-301"}


async def test_without_a_trial_named_a_listener_hears_every_trial_it_may_read(
    served: Served, services: Services, as_user: Api, trial: str
) -> None:
    alex = await as_user("alex")
    await found_second_trial(served, alex, services)
    async with served.client(alex) as admin, listening(served, headers=alex) as listener:
        other = await admit(admin, f"/api/trials/{SECOND_TRIAL}")
        ours = await comment(admin, trial)
        await listener.until_position(ours)
    assert listener.positions == [other, ours]


async def test_a_trial_the_user_may_not_read_or_that_does_not_exist_is_refused(
    served: Served, services: Services, as_user: Api
) -> None:
    await found_second_trial(served, await as_user("alex"), services)
    ivy = await as_user("ivy")
    # a trial she may not read is answered as one that does not exist
    hidden = await refused(served, f"trial={SECOND_TRIAL}", ivy)
    missing = await refused(served, "trial=no-such-trial", ivy)
    trial_not_found = (404, "https://concord.example/problems/trial-not-found")
    assert (hidden["status"], hidden["type"]) == trial_not_found
    assert (missing["status"], missing["type"]) == trial_not_found
    assert (await refused(served, "trial=../etc", ivy))["status"] == 422
    assert (await refused(served, "trial=asthma-301&after=-1", ivy))["status"] == 400
    assert (await refused(served, "trial=asthma-301&after=99999999", ivy))["status"] == 400
    for after in ("9" * 5000, "%C2%B2", "9" * 19):
        assert (await refused(served, f"trial=asthma-301&after={after}", ivy))["status"] == 400
    assert (await refused(served, "trial=asthma-301"))["status"] == 401
    bad_token = {"Authorization": "Bearer concord_forged"}
    assert (await refused(served, "trial=asthma-301", bad_token))["status"] == 401


async def test_revoking_a_role_ends_the_subscription_at_once(
    served: Served, as_user: Api, demo: dict[str, DemoPerson], trial: str
) -> None:
    ivy_id = demo["ivy"].user_id
    async with (
        served.client(await as_user("alex")) as admin,
        listening(served, query="trial=asthma-301", headers=await as_user("ivy")) as ivy,
        listening(served, query="trial=asthma-301", headers=await as_user("omar")) as omar,
    ):
        before = await comment(admin, trial, "Before the revocation")
        revocation = await admin.post(
            f"{trial}/members/{ivy_id}/role-revocations",
            json={"role": "investigator", "reason": "left the site"},
        )
        assert revocation.status_code == 200, revocation.text
        after = await comment(admin, trial, "After the revocation")
        revoked = await ivy.until("revoked")
        closed = await ivy.until_closed()
        await omar.until_position(after)
    assert revoked == {"type": "revoked", "trial": "asthma-301", "position": after - 1}
    assert ivy.positions == [before], "nothing from the revocation on"
    assert closed.code == CLOSE_ACCESS_REVOKED
    assert omar.positions == [before, after - 1, after]
    refusal = await refused(served, "trial=asthma-301", await as_user("ivy"))
    assert refusal["status"] == 404  # a trial she may no longer read: as if there were none


async def test_a_session_opens_a_listener_only_from_an_allowed_origin(
    served: Served, demo: dict[str, DemoPerson]
) -> None:
    cookie = await sign_in(served, demo["pat"])
    own = {"Cookie": cookie, "Origin": served.http}
    partner = {"Cookie": cookie, "Origin": ALLOWED_ORIGIN}
    async with listening(served, query="trial=asthma-301", headers=own):
        pass
    async with listening(served, query="trial=asthma-301", headers=partner):
        pass
    foreign = await refused(
        served, "trial=asthma-301", {"Cookie": cookie, "Origin": "https://evil.example"}
    )
    assert foreign["status"] == 403
    assert foreign["title"] == "Origin not allowed"
    assert (await refused(served, "trial=asthma-301", {"Cookie": cookie}))["status"] == 403


async def test_a_ticket_opens_one_listener_once(served: Served, as_user: Api) -> None:
    async with served.client(await as_user("elena")) as elena:
        issued = await elena.post("/api/live/tickets")
    assert issued.status_code == 201
    ticket = issued.json()["ticket"]
    async with listening(served, query=f"ticket={ticket}&trial=asthma-301") as listener:
        await listener.send({"type": "ping"})
        assert (await listener.until("pong"))["type"] == "pong"
    reused = await refused(served, f"ticket={ticket}&trial=asthma-301")
    assert reused["status"] == 401
    async with httpx.AsyncClient(base_url=served.http) as anonymous:
        assert (await anonymous.post("/api/live/tickets")).status_code == 401
