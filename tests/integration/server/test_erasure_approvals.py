"""Erasing someone's personal data is a request that each trial they took part in
approves through its charter (issue 22), from the outside: role by role and trial by
trial, every refusal a named problem that records nothing and erases nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from domain.account_events import SystemRole
from domain.personal_data import ERASED
from server.demo import DEMO_TRIAL, DemoPerson
from server.http.account_openapi import ERASURE_OPENAPI_PATHS
from server.http.erasure_routes import ERASURE_ROUTES
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.erasures import (
    approve_erasure,
    erasure_path,
    request_erasure,
    second_system_admin,
)
from tests.integration.server.founders import OPERATOR, grant_system_role
from tests.integration.server.test_invitations import LURE, LURE_PATH, invite, mallory

__all__ = ["mallory"]  # the fixture: a trial admin of another trial, LURE

SAM = "Samira Reyes"
TYPED = f"{SAM} takes part as sponsor lead"
"""Free text the demo's admin typed, naming Sam: no erasure reaches it."""
INBOX = "/api/personal-data/erasure-requests"


def problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(f"/{kind}"), body
    return body


async def _shown(client: httpx.AsyncClient, user_id: str, headers: dict[str, str]) -> Any:
    shown = await client.get(erasure_path(user_id), headers=headers)
    assert shown.status_code == 200, shown.text
    return shown.json()


async def _sam_named(client: httpx.AsyncClient, trial: str, as_user: Api) -> bool:
    workspace = await client.get(trial, headers=await as_user("ivy"))
    return SAM in workspace.text.replace(TYPED, "")


async def test_a_request_names_the_trials_and_who_must_approve_and_erases_nothing(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
) -> None:
    sam_id, alex_id = demo["sam"].user_id, demo["alex"].user_id
    as_vera = await second_system_admin(services)
    await services.accounts.disable(sam_id, reason="left", meta=OPERATOR)
    requested = await request_erasure(app_client, sam_id, " ticket 4411 ", as_vera)
    assert requested["status"] == "pending"
    assert requested["reason"] == "ticket 4411"
    assert requested["trials"] == [DEMO_TRIAL]
    assert requested["approvals"] == []
    assert requested["awaiting"] == [
        {"trial_id": DEMO_TRIAL, "roles": ["trial_admin"], "approvers": [alex_id]}
    ]
    assert await _sam_named(app_client, trial, as_user)  # nothing is erased yet
    trail = (await app_client.get(f"/api/accounts/{sam_id}/trail", headers=as_vera)).json()
    assert trail[-1]["type"] == "PersonalDataErasureRequested"
    assert trail[-1]["data"]["trials"] == [DEMO_TRIAL]

    head = await services.store.head_position()
    again = await app_client.post(erasure_path(sam_id), json={"reason": "x"}, headers=as_vera)
    problem(again, 409, "erasure-already-requested")
    assert await services.store.head_position() == head

    # Who may read it: system admins, account auditors, and whoever may approve it.
    assert (await _shown(app_client, sam_id, await as_user("alex")))["awaiting"][0]["approvers"]
    problem(
        await app_client.get(erasure_path(sam_id), headers=await as_user("ivy")),
        403,
        "system-role-required",
    )
    auditor = await services.accounts.create_user("ada", "Ada Auditor", "a long passphrase")
    await grant_system_role(services, auditor.user_id, SystemRole.ACCOUNT_AUDITOR)
    as_ada = {
        "Authorization": f"Bearer {(await services.tokens.issue(auditor.user_id, 't')).token}"
    }
    head = await services.store.head_position()
    assert (await _shown(app_client, sam_id, as_ada))["status"] == "pending"
    assert (await _shown(app_client, demo["ivy"].user_id, as_ada)) == {
        "user_id": demo["ivy"].user_id,
        "status": "none",
    }
    problem(await app_client.get(erasure_path("nobody"), headers=as_ada), 404, "account-not-found")

    # The inbox: alex may approve it; ivy may not; the whole list is for admins and auditors.
    [listed] = (
        await app_client.get(INBOX, params={"awaiting": "me"}, headers=await as_user("alex"))
    ).json()
    assert (listed["user_id"], listed["yours"]) == (sam_id, [DEMO_TRIAL])
    mine = await app_client.get(INBOX, params={"awaiting": "me"}, headers=await as_user("ivy"))
    assert mine.json() == []
    [every] = (await app_client.get(INBOX, headers=as_ada)).json()
    assert every["user_id"] == sam_id
    assert "yours" not in every
    problem(await app_client.get(INBOX, headers=await as_user("ivy")), 403, "system-role-required")
    problem(
        await app_client.get(INBOX, params={"awaiting": "you"}, headers=as_ada),
        422,
        "malformed-parameter",
    )
    assert await services.store.head_position() == head  # reading records nothing


@pytest.mark.parametrize(
    ("who", "trial_id", "status", "kind"),
    [
        ("alex", DEMO_TRIAL, 403, "erasure-requester-cannot-approve"),
        ("ivy", DEMO_TRIAL, 403, "not-an-erasure-approver"),
        ("aud", DEMO_TRIAL, 403, "not-an-erasure-approver"),
        ("vera", DEMO_TRIAL, 403, "not-an-erasure-approver"),  # a system admin, no member
        ("sam", DEMO_TRIAL, 403, "erased-person-cannot-approve"),
        ("vera", None, 409, "trial-not-concerned"),
        ("ivy", "other-trial", 409, "trial-not-concerned"),
    ],
    ids=[
        "the requester, trial admin", "an investigator", "the trial's auditor",
        "another system admin", "the person", "no trial", "a trial not asked",
    ],
)  # fmt: skip
async def test_a_refused_approval_records_nothing_and_erases_nothing(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
    who: str,
    trial_id: str | None,
    status: int,
    kind: str,
) -> None:
    sam_id = demo["sam"].user_id
    as_vera = await second_system_admin(services)
    await services.accounts.disable(sam_id, reason="left", meta=OPERATOR)
    await request_erasure(app_client, sam_id, "ticket 4411", await as_user("alex"))
    if who == "sam":  # enabled again after the request: she may sign in, not approve
        await services.accounts.enable(sam_id, reason="came back", meta=OPERATOR)
    headers = as_vera if who == "vera" else await as_user(who)
    head = await services.store.head_position()
    refused = problem(await approve_erasure(app_client, sam_id, headers, trial_id), status, kind)
    if kind == "not-an-erasure-approver":
        assert (refused["trial_id"], refused["roles"]) == (DEMO_TRIAL, ["trial_admin"])
        assert f"trial {DEMO_TRIAL}" in refused["detail"]
    assert await services.store.head_position() == head
    shown = await _shown(app_client, sam_id, as_vera)
    assert (shown["status"], shown["approvals"]) == ("pending", [])
    assert await _sam_named(app_client, trial, as_user)


async def test_each_trial_approves_through_its_own_charter(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    mallory: dict[str, str],
) -> None:
    """Ivy takes part in the demo trial and in LURE: each trial's admin approves for their
    own trial only, and the second approval carries the erasure out."""
    ivy_id, alex_id = demo["ivy"].user_id, demo["alex"].user_id
    as_ivy, as_alex = await as_user("ivy"), await as_user("alex")
    invitation = await invite(app_client, mallory, "ivy")
    accepted = await app_client.post(
        f"{LURE_PATH}/invitations/{invitation}/acceptance", headers=as_ivy
    )
    assert accepted.status_code == 200, accepted.text
    await services.follower.wait_for(await services.store.head_position())
    await services.accounts.disable(ivy_id, reason="left", meta=OPERATOR)
    as_vera = await second_system_admin(services)
    requested = await request_erasure(app_client, ivy_id, "ticket 12", as_vera)
    assert requested["trials"] == [DEMO_TRIAL, LURE]
    assert [a["trial_id"] for a in requested["awaiting"]] == [DEMO_TRIAL, LURE]

    head = await services.store.head_position()
    for approver, trial_id in ((mallory, DEMO_TRIAL), (as_alex, LURE)):
        refused = await approve_erasure(app_client, ivy_id, approver, trial_id)
        assert problem(refused, 403, "not-an-erasure-approver")["trial_id"] == trial_id
    assert await services.store.head_position() == head

    first = await approve_erasure(app_client, ivy_id, as_alex, DEMO_TRIAL)
    assert first.status_code == 202, first.text
    assert [a["trial_id"] for a in first.json()["awaiting"]] == [LURE]
    assert first.json()["approvals"] == [
        {"trial_id": DEMO_TRIAL, "approved_by": alex_id, "vouched_by": None}
    ]
    head = await services.store.head_position()
    twice = await approve_erasure(app_client, ivy_id, as_alex, DEMO_TRIAL)
    problem(twice, 409, "erasure-already-approved")
    assert await services.store.head_position() == head
    mine = (await app_client.get(INBOX, params={"awaiting": "me"}, headers=mallory)).json()
    assert [(r["user_id"], r["yours"]) for r in mine] == [(ivy_id, [LURE])]
    alexs = await app_client.get(INBOX, params={"awaiting": "me"}, headers=as_alex)
    assert alexs.json() == []  # he gave what he could

    done = await approve_erasure(app_client, ivy_id, mallory, LURE)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "erased"
    assert [a["trial_id"] for a in done.json()["approvals"]] == [DEMO_TRIAL, LURE]
    lure = await app_client.get(LURE_PATH, headers=mallory)
    assert "Dr Ivy Chen" not in lure.text
    assert ERASED in lure.text
    trail = (await app_client.get(f"/api/accounts/{ivy_id}/trail", headers=as_vera)).json()
    erased = trail[-1]["data"]
    assert trail[-1]["type"] == "PersonalDataErased"
    assert erased["requested_by"] != erased["approved_by"]
    assert [a["trial_id"] for a in erased["approvals"]] == [DEMO_TRIAL, LURE]
    assert (await _shown(app_client, ivy_id, as_vera))["status"] == "none"
    assert (await app_client.get(INBOX, params={"awaiting": "me"}, headers=mallory)).json() == []


async def test_a_charter_naming_the_sponsor_lead_leaves_the_trial_admin_out(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
) -> None:
    as_alex, as_sam = await as_user("alex"), await as_user("sam")
    charter = (await app_client.get(trial, headers=as_alex)).json()["charter"]
    assert charter["erasure_approvers"] == ["trial_admin"]
    head = await services.store.head_position()
    nobody = {"charter": {**charter, "erasure_approvers": []}, "reason": "typo"}
    invalid = await app_client.put(f"{trial}/charter", json=nobody, headers=as_alex)
    assert (
        "erasure approvers must name at least one role"
        in problem(invalid, 422, "invalid-charter")["detail"]
    )
    assert await services.store.head_position() == head
    lead = {"charter": {**charter, "erasure_approvers": ["sponsor_lead"]}, "reason": "GDPR"}
    amended = await app_client.put(f"{trial}/charter", json=lead, headers=as_alex)
    assert amended.status_code == 200, amended.text

    ivy_id = demo["ivy"].user_id
    await services.accounts.disable(ivy_id, reason="left", meta=OPERATOR)
    requested = await request_erasure(
        app_client, ivy_id, "ticket 7", await second_system_admin(services)
    )
    assert requested["awaiting"] == [
        {"trial_id": DEMO_TRIAL, "roles": ["sponsor_lead"], "approvers": [demo["sam"].user_id]}
    ]
    head = await services.store.head_position()
    refused = problem(
        await approve_erasure(app_client, ivy_id, as_alex), 403, "not-an-erasure-approver"
    )
    assert refused["roles"] == ["sponsor_lead"]
    assert await services.store.head_position() == head
    done = await approve_erasure(app_client, ivy_id, as_sam)
    assert done.status_code == 200, done.text
    assert done.json()["keys_erased"] >= 1


async def test_someone_in_no_trial_is_erased_once_a_second_system_admin_approves(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
) -> None:
    nina = await services.accounts.create_user("nina", "Nina Nowhere", "a long passphrase")
    await services.accounts.disable(nina.user_id, reason="never started", meta=OPERATOR)
    as_vera, as_alex = await second_system_admin(services), await as_user("alex")
    requested = await request_erasure(app_client, nina.user_id, "ticket 3", as_vera)
    assert requested["trials"] == []
    assert requested["awaiting"] == [
        {"trial_id": None, "roles": ["system_admin"], "approvers": [demo["alex"].user_id]}
    ]
    head = await services.store.head_position()
    for headers, trial_id, status, kind in (
        (await as_user("ivy"), None, 403, "not-an-erasure-approver"),
        (as_vera, None, 403, "erasure-requester-cannot-approve"),
        (as_alex, DEMO_TRIAL, 409, "trial-not-concerned"),
    ):
        refused = problem(
            await approve_erasure(app_client, nina.user_id, headers, trial_id), status, kind
        )
        if kind == "not-an-erasure-approver":
            assert (refused["trial_id"], refused["roles"]) == (None, ["system_admin"])
    assert await services.store.head_position() == head
    done = await approve_erasure(app_client, nina.user_id, as_alex, None)
    assert done.status_code == 200, done.text
    accounts = (await app_client.get("/api/accounts", headers=as_alex)).json()
    assert "Nina" not in str(accounts)


async def test_a_withdrawn_request_is_approved_by_nobody_and_an_enabled_account_not_erased(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
) -> None:
    sam_id = demo["sam"].user_id
    as_vera, as_alex = await second_system_admin(services), await as_user("alex")
    withdrawal = f"{erasure_path(sam_id)}/withdrawal"
    await services.accounts.disable(sam_id, reason="left", meta=OPERATOR)
    head = await services.store.head_position()
    problem(
        await app_client.post(withdrawal, json={"reason": "r"}, headers=as_alex),
        409,
        "no-pending-erasure",
    )
    problem(await approve_erasure(app_client, sam_id, as_alex), 409, "no-pending-erasure")
    await request_erasure(app_client, sam_id, "ticket 5", as_vera)
    head = await services.store.head_position()
    ivy = await app_client.post(withdrawal, json={"reason": "r"}, headers=await as_user("ivy"))
    problem(ivy, 403, "system-role-required")
    problem(
        await app_client.post(withdrawal, json={"reason": " "}, headers=as_alex),
        422,
        "invalid-body",
    )
    assert await services.store.head_position() == head
    withdrawn = await app_client.post(withdrawal, json={"reason": "wrong person"}, headers=as_alex)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await _shown(app_client, sam_id, as_vera))["status"] == "none"
    problem(await approve_erasure(app_client, sam_id, as_alex), 409, "no-pending-erasure")

    # Asked again, then the account is enabled: the last approval is refused until it is
    # disabled again, and records nothing.
    await request_erasure(app_client, sam_id, "ticket 6", as_vera)
    await services.accounts.enable(sam_id, reason="came back", meta=OPERATOR)
    head = await services.store.head_position()
    problem(await approve_erasure(app_client, sam_id, as_alex), 409, "account-enabled")
    assert await services.store.head_position() == head
    assert await _sam_named(app_client, trial, as_user)
    await services.accounts.disable(sam_id, reason="left again", meta=OPERATOR)
    done = await approve_erasure(app_client, sam_id, as_alex)
    assert done.status_code == 200, done.text
    assert not await _sam_named(app_client, trial, as_user)


@pytest.mark.parametrize(
    "body",
    [{}, {"trial_id": 4}, {"trial_id": "bad id!"}, {"trial_id": DEMO_TRIAL, "by": "me"}],
    ids=["no trial_id", "not text", "not an id", "unknown field"],
)
async def test_a_malformed_approval_is_422_and_records_nothing(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    body: dict[str, object],
) -> None:
    head = await services.store.head_position()
    refused = await app_client.post(
        f"{erasure_path(demo['sam'].user_id)}/approvals", json=body, headers=await as_user("alex")
    )
    assert refused.status_code == 422, refused.text
    assert await services.store.head_position() == head


def test_the_openapi_entries_describe_every_erasure_route() -> None:
    routed = {
        (route.path, method.lower())
        for route in ERASURE_ROUTES
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    described = {
        (path, method)
        for path, operations in ERASURE_OPENAPI_PATHS.items()
        for method in operations
    }
    assert routed == described
    for path, operations in ERASURE_OPENAPI_PATHS.items():
        for operation in operations.values():
            assert "403" in operation["responses"], path
            named = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert named == set(re.findall(r"{(\w+)}", path)), path
