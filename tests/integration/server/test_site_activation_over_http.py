"""Over HTTP: a protocol version takes effect at an investigator site only after the
approvals the charter names for that site (ICH E6(R3) §4.3.5). Role by role and site by
site, every refusal names its rule and records nothing; the version in force at each site
is answered now and at any past moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.charter import ETHICS_TRAINING
from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api

Headers = dict[str, str]
CENTRAL = {"organization_id": "central-irb", "name": "Central Research Ethics Committee"}
INSPECTORATE = {"organization_id": "inspectorate", "name": "Medicines Inspectorate"}
ST_MARYS_APPROVERS = [
    {"body": "ethics", "organization": CENTRAL},
    {"body": "regulator", "organization": INSPECTORATE},
]


def problem(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    return response.status_code, body.get("rule") or body["type"].rsplit("/", 1)[-1]


async def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def join_as_reviewer(
    client: httpx.AsyncClient,
    services: Services,
    trial: str,
    alex: Headers,
    username: str,
    organization: str,
) -> tuple[str, Headers]:
    """A new account joins ``organization`` by invitation and becomes an ethics reviewer;
    its user id and headers."""
    user = await services.accounts.create_user(username, username.title(), "a long password 1")
    headers = {"Authorization": f"Bearer {(await services.tokens.issue(user.user_id, 't')).token}"}
    invitation = {"username": username, "organization_id": organization}
    invited = await ok(
        await client.post(f"{trial}/invitations", json=invitation, headers=alex), 201
    )
    invitation_id = invited["events"][0]["data"]["invitation_id"]
    await ok(await client.post(f"{trial}/invitations/{invitation_id}/acceptance", headers=headers))
    await make_reviewer(client, trial, alex, user.user_id)
    return user.user_id, headers


async def make_reviewer(client: httpx.AsyncClient, trial: str, alex: Headers, user_id: str) -> None:
    training = {"training": {"course": ETHICS_TRAINING, "completed_on": "2026-01-05"}}
    await ok(await client.post(f"{trial}/members/{user_id}/training", json=training, headers=alex))
    grant = {"role": "ethics_reviewer", "reason": "Reviews for the trial's sites"}
    await ok(await client.post(f"{trial}/members/{user_id}/roles", json=grant, headers=alex))


async def amend_charter(
    client: httpx.AsyncClient, trial: str, alex: Headers, oversight: dict[str, Any]
) -> httpx.Response:
    charter = (await ok(await client.get(trial, headers=alex)))["charter"]
    charter["roles"]["ethics_reviewer"]["organization_kinds"] = ["ethics", "regulator"]
    charter["site_oversight"] = oversight
    body = {"charter": charter, "reason": "Name who approves for each site"}
    return await client.put(f"{trial}/charter", json=body, headers=alex)


def approval(version: int, body: str = "ethics", **more: Any) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    return {
        "version": version,
        "body": body,
        "approved_on": today,
        "reference": f"letter {body} v{version}",
        **more,
    }


async def merge_a1(
    client: httpx.AsyncClient, trial: str, sam: Headers, ivy: Headers, password: str
) -> None:
    """A-1 (the demo's, not substantial) approved by the sponsor and merged: version 2."""
    a1 = await ok(await client.get(f"{trial}/amendments/A-1", headers=sam))
    signing = {"meaning": "approval", "content_hash": a1["content_hash"], "password": password}
    await ok(
        await client.post(f"{trial}/amendments/A-1/signatures", json=signing, headers=sam), 201
    )
    disposition = {"disposition": "adopted", "reason": "Taxi vouchers are added to 11.3"}
    path = f"{trial}/comments/amendment/A-1/C-1/disposition"
    await ok(await client.post(path, json=disposition, headers=ivy))
    merge = {"effective_date": "2030-01-01"}
    await ok(await client.post(f"{trial}/amendments/A-1/merge", json=merge, headers=sam))


def site(answer: dict[str, Any], site_id: str) -> dict[str, Any]:
    return next(s for s in answer["sites"] if s["site_id"] == site_id)


async def test_a_site_runs_a_version_only_after_its_approvers_approved_it(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    demo: dict[str, DemoPerson],
    trial: str,
) -> None:
    alex, sam, ivy, omar = [await as_user(u) for u in ("alex", "sam", "ivy", "omar")]
    elena, aud = await as_user("elena"), await as_user("aud")
    st_marys, riverside = f"{trial}/sites/st-marys", f"{trial}/sites/riverside"

    # Before the charter names anyone: listed, nothing in force, version 1 awaits a
    # committee the charter does not name yet.
    before = await ok(await app_client.get(f"{trial}/sites", headers=ivy))
    assert [s["site_id"] for s in before["sites"]] == ["st-marys", "riverside"]
    first = site(before, "st-marys")
    assert (first["in_force"], first["approvers"]) == (None, [])
    assert first["pending"] == [
        {
            "version": 1,
            "amendment_id": None,
            "missing": [{"body": "ethics", "organization": None}],
            "ready": False,
        }
    ]
    head = await services.store.head_position()
    refused = await app_client.post(f"{st_marys}/activations", json={"version": 1}, headers=sam)
    assert problem(refused) == (409, "SiteNotOverseen")
    refused = await app_client.post(f"{st_marys}/approvals", json=approval(1), headers=elena)
    assert problem(refused) == (409, "SiteNotOverseen")
    unknown = await amend_charter(
        app_client, trial, alex, {"st-marys": {"ethics_committee": "north-rec"}}
    )
    assert problem(unknown) == (422, "InvalidCharter")
    assert "ethics committee 'north-rec' is not an admitted ethics organization" in unknown.text
    assert await services.store.head_position() == head

    # A second committee covers Riverside; the inspectorate must also approve at St Mary's.
    north = {"organization_id": "north-rec", "name": "North Research Ethics", "kind": "ethics"}
    await ok(await app_client.post(f"{trial}/organizations", json=north, headers=alex), 201)
    _, nora = await join_as_reviewer(app_client, services, trial, alex, "nora", "north-rec")
    oversight = {
        "st-marys": {"ethics_committee": "central-irb", "regulator": "inspectorate"},
        "riverside": {"ethics_committee": "north-rec"},
    }
    await ok(await amend_charter(app_client, trial, alex, oversight))
    await make_reviewer(app_client, trial, alex, demo["aud"].user_id)

    head = await services.store.head_position()
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    for path, body, who, refusal in (
        # An ethics reviewer of committee X does not approve for a site committee Y covers.
        (f"{riverside}/approvals", approval(1), elena, (403, "NotSiteApprover")),
        (f"{st_marys}/approvals", approval(1), nora, (403, "NotSiteApprover")),
        (f"{st_marys}/approvals", approval(1, "regulator"), elena, (403, "NotSiteApprover")),
        (f"{riverside}/approvals", approval(1, "regulator"), aud, (409, "SiteApprovalNotRequired")),
        # Roles the table does not let approve or activate at all.
        (f"{st_marys}/approvals", approval(1), ivy, (403, "not-authorized")),
        (f"{st_marys}/activations", {"version": 1}, elena, (403, "not-authorized")),
        # Another site's investigator.
        (f"{st_marys}/activations", {"version": 1}, omar, (403, "NotSiteActivator")),
        # Not yet approved.
        (f"{st_marys}/activations", {"version": 1}, ivy, (409, "SiteApprovalMissing")),
        (f"{st_marys}/approvals", approval(1, approved_on=tomorrow), elena,
         (422, "SiteApprovalInFuture")),
        (f"{st_marys}/approvals", approval(9), elena, (404, "ProtocolVersionNotFound")),
        (f"{trial}/sites/central-irb/approvals", approval(1), elena, (404, "SiteNotFound")),
        (f"{st_marys}/approvals", approval(1, reference=" "), elena, (422, "RequiredTextMissing")),
        (f"{st_marys}/approvals", {**approval(1), "recorded_at": "2026-01-01T00:00:00Z"}, elena,
         (422, "unknown-fields")),
    ):  # fmt: skip
        assert problem(await app_client.post(path, json=body, headers=who)) == refusal, path
    assert await services.store.head_position() == head

    recorded = await ok(
        await app_client.post(f"{st_marys}/approvals", json=approval(1), headers=elena), 201
    )
    [event] = recorded["events"]
    assert event["type"] == "SiteApprovalRecorded"
    assert event["data"]["organization_id"] == "central-irb"
    assert event["data"]["site_id"] == "st-marys"
    again = await app_client.post(f"{st_marys}/approvals", json=approval(1), headers=elena)
    assert problem(again) == (409, "SiteApprovalAlreadyRecorded")
    missing = await app_client.post(f"{st_marys}/activations", json={"version": 1}, headers=ivy)
    assert problem(missing) == (409, "SiteApprovalMissing")
    assert "inspectorate's (regulator) approval is not recorded" in missing.json()["detail"]
    await ok(
        await app_client.post(f"{st_marys}/approvals", json=approval(1, "regulator"), headers=aud),
        201,
    )
    await ok(
        await app_client.post(f"{st_marys}/activations", json={"version": 1}, headers=ivy), 201
    )
    await ok(await app_client.post(f"{riverside}/approvals", json=approval(1), headers=nora), 201)
    await ok(
        await app_client.post(f"{riverside}/activations", json={"version": 1}, headers=omar), 201
    )
    backwards = await app_client.post(f"{st_marys}/activations", json={"version": 1}, headers=sam)
    assert problem(backwards) == (409, "SiteVersionNotNewer")

    # Version 2 is merged; St Mary's moves to it, Riverside's committee has not met.
    await merge_a1(app_client, trial, sam, ivy, demo["sam"].password)
    on_v1 = await services.store.head_position()
    await ok(await app_client.post(f"{st_marys}/approvals", json=approval(2), headers=elena), 201)
    await ok(
        await app_client.post(f"{st_marys}/approvals", json=approval(2, "regulator"), headers=aud),
        201,
    )
    await ok(
        await app_client.post(f"{st_marys}/activations", json={"version": 2}, headers=sam), 201
    )
    early = await app_client.post(f"{riverside}/activations", json={"version": 2}, headers=omar)
    assert problem(early) == (409, "SiteApprovalMissing")

    now = await ok(await app_client.get(f"{trial}/sites", headers=omar))
    assert now["position"] is None
    assert now["current_version"] == 2
    marys, river = site(now, "st-marys"), site(now, "riverside")
    assert marys["in_force"]["version"] == 2
    assert marys["in_force"]["amendment_id"] == "A-1"
    assert marys["in_force"]["activated_by"] == demo["sam"].user_id
    assert [a["version"] for a in marys["activations"]] == [1, 2]
    assert marys["pending"] == []
    assert [(a["version"], a["body"]) for a in marys["approvals"]] == [
        (1, "ethics"), (1, "regulator"), (2, "ethics"), (2, "regulator"),
    ]  # fmt: skip
    assert marys["approvers"] == ST_MARYS_APPROVERS
    assert river["in_force"]["version"] == 1
    assert river["pending"] == [
        {
            "version": 2,
            "amendment_id": "A-1",
            "missing": [
                {
                    "body": "ethics",
                    "organization": {
                        "organization_id": "north-rec",
                        "name": "North Research Ethics",
                    },
                }
            ],
            "ready": False,
        }
    ]

    # The past: at the merge, St Mary's still ran version 1 (an auditor's read).
    then = await ok(await app_client.get(f"{trial}/sites?at={on_v1}", headers=sam))
    assert then["position"] == on_v1
    assert site(then, "st-marys")["in_force"]["version"] == 1
    assert site(then, "st-marys")["pending"][0]["missing"] == ST_MARYS_APPROVERS
    at_start = await ok(await app_client.get(f"{trial}/sites?at={head}", headers=sam))
    assert site(at_start, "st-marys")["in_force"] is None
    long_ago = await ok(
        await app_client.get(f"{trial}/sites?time=2000-01-01T00:00:00Z", headers=sam)
    )
    assert long_ago["sites"] == []
    # Reading the past is an audit read.
    assert problem(await app_client.get(f"{trial}/sites?at={on_v1}", headers=ivy)) == (
        403,
        "not-authorized",
    )
    malformed = await app_client.get(f"{trial}/sites?at=yesterday", headers=sam)
    assert problem(malformed) == (422, "malformed-position")

    # Each site is a record with its own audit trail.
    trail = await app_client.get(f"{trial}/audit/trail?record=site/st-marys", headers=sam)
    assert trail.status_code == 200, trail.text
    events = [row["event"] for row in trail.json()]
    assert "SiteApprovalRecorded" in events
    assert "SiteActivated" in events


async def test_nobody_outside_the_trial_reads_its_sites(
    app_client: httpx.AsyncClient, services: Services, demo: dict[str, DemoPerson], trial: str
) -> None:
    user = await services.accounts.create_user("olga", "Olga Other", "a long password 1")
    headers = {"Authorization": f"Bearer {(await services.tokens.issue(user.user_id, 't')).token}"}
    answer = await app_client.get(f"{trial}/sites", headers=headers)
    assert problem(answer) == (404, "trial-not-found")
