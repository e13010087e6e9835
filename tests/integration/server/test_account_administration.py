"""The administration of accounts and the system roles, from the outside: HTTP through the
app, on SQLite and PostgreSQL. Alex is the demo's system administrator and trial creator."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from domain.account_events import SystemRole
from domain.charter import GCP_TRAINING
from domain.roles import Role
from rbac import SystemAction
from server.demo import DemoPerson
from server.http.account_routes import ACCOUNT_OPENAPI_PATHS, ACCOUNT_ROUTES, ACCOUNTS_PATH
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.founders import grant_system_role

People = dict[str, DemoPerson]


@pytest.fixture
def client(app_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app as served (its administration routes among the others)."""
    return app_client


def problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(f"/{kind}"), body
    return body


def account(user: DemoPerson) -> str:
    return f"{ACCOUNTS_PATH}/{user.user_id}"


FOUNDING = {
    "trial_id": "copd-404",
    "title": "COPD-404",
    "organization_name": "Northwind Therapeutics",
    "organization_id": "northwind",
    "organization_kind": "sponsor",
}


async def test_a_patient_advocate_founding_a_trial_is_refused(
    client: httpx.AsyncClient, services: Services, as_user: Api
) -> None:
    pat = await as_user("pat")  # (issuing pat's token is recorded in pat's account stream)
    head = await services.store.head_position()
    refused = await client.post("/api/trials", json=FOUNDING, headers=pat)
    body = problem(refused, 403, "not-a-trial-creator")
    assert "trial_creator" in body["detail"]
    assert "system administrator grants" in body["detail"]
    assert await services.store.head_position() == head


async def test_a_trial_creator_founds_with_the_training_attested_for_them(
    client: httpx.AsyncClient, services: Services, as_user: Api, demo: People
) -> None:
    alex, sam = await as_user("alex"), await as_user("sam")
    sam_id = demo["sam"].user_id
    granted = await client.post(
        f"{account(demo['sam'])}/system-roles",
        json={"role": "trial_creator", "reason": "leads the COPD programme"},
        headers=alex,
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["system_roles"] == ["trial_creator"]

    # A trial creator without attested training founds nothing, and is told why.
    head = await services.store.head_position()
    untrained = await client.post("/api/trials", json=FOUNDING, headers=sam)
    body = problem(untrained, 409, "founder-training-missing")
    assert GCP_TRAINING in body["detail"]
    assert "a system administrator attests it" in body["detail"]
    assert await services.store.head_position() == head
    # ... nor by claiming the training in the request.
    trained_on = (services.clock() - timedelta(days=10)).date().isoformat()
    claimed = {
        **FOUNDING,
        "founder_training": [{"course": GCP_TRAINING, "completed_on": trained_on}],
    }
    problem(await client.post("/api/trials", json=claimed, headers=sam), 422, "unknown-fields")

    attested = await client.post(
        f"{account(demo['sam'])}/training",
        json={"course": GCP_TRAINING, "completed_on": trained_on},
        headers=alex,
    )
    assert attested.status_code == 201, attested.text
    assert attested.json()["training"] == [
        {"course": GCP_TRAINING, "completed_on": trained_on, "attested_by": demo["alex"].user_id}
    ]
    founded = await client.post("/api/trials", json=FOUNDING, headers=sam)
    assert founded.status_code == 201, founded.text
    events = {event["type"]: event["data"] for event in founded.json()["events"]}
    assert events["TrainingAttested"]["attested_by"] == demo["alex"].user_id
    assert events["TrainingAttested"]["completed_on"] == trained_on
    assert services.authorizer.roles_of(sam_id, "copd-404") == {Role.TRIAL_ADMIN}
    trial = await client.get("/api/trials/copd-404", headers=sam)
    assert trial.status_code == 200, trial.text


ADMIN_ROUTES = [
    ("POST", "", {"username": "newcomer", "printed_name": "New Comer"}),
    ("GET", "/{user}", None),
    ("POST", "/{user}/disable", {"reason": "left"}),
    ("POST", "/{user}/enable", {"reason": "back"}),
    ("POST", "/{user}/password-reset", {}),
    ("POST", "/{user}/system-roles", {"role": "system_admin", "reason": "wants it"}),
    ("POST", "/{user}/system-roles/trial_creator/revoke", {"reason": "no longer"}),
    ("POST", "/{user}/training", {"course": GCP_TRAINING, "completed_on": "2026-01-05"}),
    ("POST", "/{user}/training/{course}/withdraw", {"reason": "mistaken"}),
]


@pytest.mark.parametrize(
    "system_role",
    [None, SystemRole.TRIAL_CREATOR, SystemRole.ACCOUNT_AUDITOR],
    ids=["no system role", "trial creator", "account auditor"],
)
async def test_every_administration_route_is_refused_without_system_admin(
    client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    demo: People,
    system_role: SystemRole | None,
) -> None:
    if system_role is not None:
        await grant_system_role(services, demo["ivy"].user_id, system_role)
    ivy = await as_user("ivy")
    head = await services.store.head_position()
    for method, path, body in ADMIN_ROUTES:
        url = ACCOUNTS_PATH + path.format(user=demo["omar"].user_id, course=GCP_TRAINING)
        response = await client.request(method, url, json=body, headers=ivy)
        refused = problem(response, 403, "system-role-required")
        assert refused["roles"] == ["system_admin"], (method, path)
        assert "administering accounts needs the system role system_admin" in refused["detail"]
    assert await services.store.head_position() == head


@pytest.mark.parametrize(
    ("system_role", "allowed"),
    [(None, False), (SystemRole.TRIAL_CREATOR, False), (SystemRole.ACCOUNT_AUDITOR, True)],
    ids=["no system role", "trial creator", "account auditor"],
)
async def test_the_accounts_are_listed_to_those_who_read_their_trails(
    client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    demo: People,
    system_role: SystemRole | None,
    allowed: bool,
) -> None:
    if system_role is not None:
        await grant_system_role(services, demo["ivy"].user_id, system_role)
    listed = await client.get(ACCOUNTS_PATH, headers=await as_user("ivy"))
    if allowed:
        assert listed.status_code == 200, listed.text
        assert {a["username"] for a in listed.json()} >= {"alex", "sam", "ivy"}
    else:
        refused = problem(listed, 403, "system-role-required")
        assert refused["roles"] == ["account_auditor", "system_admin"]


async def test_the_trail_is_read_by_system_admins_and_account_auditors_only(
    client: httpx.AsyncClient, services: Services, as_user: Api, demo: People
) -> None:
    trail = f"{account(demo['ivy'])}/trail"
    await grant_system_role(services, demo["elena"].user_id, SystemRole.ACCOUNT_AUDITOR)
    await grant_system_role(services, demo["sam"].user_id, SystemRole.TRIAL_CREATOR)
    for reader in ("alex", "elena"):
        read = await client.get(trail, headers=await as_user(reader))
        assert read.status_code == 200, read.text
        assert read.json()[0]["type"] == "AccountCreated"
    for stranger in ("aud", "sam", "ivy"):  # a trial's auditor, a trial creator, herself
        refused = problem(
            await client.get(trail, headers=await as_user(stranger)), 403, "system-role-required"
        )
        assert refused["roles"] == ["account_auditor", "system_admin"]
        assert refused["action"] == SystemAction.READ_ACCOUNT_TRAILS.value


async def test_grants_and_revokes_are_in_the_trail_and_decide_at_once(
    client: httpx.AsyncClient, services: Services, as_user: Api, demo: People
) -> None:
    alex, ivy = await as_user("alex"), await as_user("ivy")
    ivy_id = demo["ivy"].user_id
    own_trail = f"{account(demo['ivy'])}/trail"
    problem(await client.get(own_trail, headers=ivy), 403, "system-role-required")
    reason = {"role": "account_auditor", "reason": "inspection readiness"}
    granted = await client.post(f"{account(demo['ivy'])}/system-roles", json=reason, headers=alex)
    assert granted.status_code == 200, granted.text
    read = await client.get(own_trail, headers=ivy)  # the very next request
    assert read.status_code == 200, read.text
    entry = read.json()[-1]
    assert entry["type"] == "SystemRoleGranted"
    assert entry["data"] == {
        "user_id": ivy_id,
        "role": "account_auditor",
        "reason": "inspection readiness",
        "granted_by": demo["alex"].user_id,
    }
    assert entry["actor"] == demo["alex"].user_id
    assert entry["via"] == "token"
    assert entry["recorded_at"].endswith("+00:00")

    again = await client.post(f"{account(demo['ivy'])}/system-roles", json=reason, headers=alex)
    assert "already holds account_auditor" in problem(again, 409, "system-role-refused")["detail"]
    revoked = await client.post(
        f"{account(demo['ivy'])}/system-roles/account_auditor/revoke",
        json={"reason": "inspection over"},
        headers=alex,
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["system_roles"] == []
    problem(await client.get(own_trail, headers=ivy), 403, "system-role-required")
    types = [e["type"] for e in (await client.get(own_trail, headers=alex)).json()]
    assert types[-2:] == ["SystemRoleGranted", "SystemRoleRevoked"]
    assert not services.authorizer.allows_system(ivy_id, SystemAction.READ_ACCOUNT_TRAILS)


async def test_system_role_requests_that_make_no_sense_are_refused(
    client: httpx.AsyncClient, services: Services, as_user: Api, demo: People
) -> None:
    alex = await as_user("alex")
    roles = f"{account(demo['ivy'])}/system-roles"
    head = await services.store.head_position()
    unknown = await client.post(roles, json={"role": "emperor", "reason": "x"}, headers=alex)
    assert "emperor" in problem(unknown, 422, "unknown-system-role")["detail"]
    blank = await client.post(roles, json={"role": "trial_creator", "reason": " "}, headers=alex)
    assert "reason" in problem(blank, 422, "invalid-body")["detail"]
    extra = {"role": "trial_creator", "reason": "x", "scope": "all"}
    assert (
        "scope"
        in problem(await client.post(roles, json=extra, headers=alex), 422, "unknown-fields")[
            "detail"
        ]
    )
    nobody = await client.post(
        f"{ACCOUNTS_PATH}/u-nobody/system-roles",
        json={"role": "trial_creator", "reason": "x"},
        headers=alex,
    )
    problem(nobody, 404, "account-not-found")
    not_held = await client.post(
        f"{roles}/account_auditor/revoke", json={"reason": "x"}, headers=alex
    )
    assert (
        "does not hold account_auditor" in problem(not_held, 409, "system-role-refused")["detail"]
    )
    last = await client.post(
        f"{account(demo['alex'])}/system-roles/system_admin/revoke",
        json={"reason": "stepping down"},
        headers=alex,
    )
    assert (
        "last enabled system administrator" in problem(last, 409, "system-role-refused")["detail"]
    )
    assert await services.store.head_position() == head


async def test_an_account_is_opened_with_a_one_time_password(
    client: httpx.AsyncClient, services: Services, as_user: Api
) -> None:
    alex = await as_user("alex")
    body = {"username": "newcomer", "printed_name": "Nia Newcomer"}
    created = await client.post(ACCOUNTS_PATH, json=body, headers=alex)
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    view = created.json()
    assert view["username"] == "newcomer"
    assert view["must_change_password"] is True
    assert view["system_roles"] == []
    assert len(view["one_time_password"]) >= 12
    listed = (await client.get(ACCOUNTS_PATH, headers=alex)).json()
    assert [a for a in listed if a["user_id"] == view["user_id"]] == [
        {k: v for k, v in view.items() if k != "one_time_password"}
    ]
    [alex_row] = [a for a in listed if a["username"] == "alex"]
    assert alex_row["system_roles"] == ["system_admin", "trial_creator"]
    trail = (await client.get(f"{ACCOUNTS_PATH}/{view['user_id']}/trail", headers=alex)).json()
    assert [e["type"] for e in trail] == ["AccountCreated"]
    assert view["one_time_password"] not in str(trail)

    head = await services.store.head_position()
    taken = await client.post(ACCOUNTS_PATH, json=body | {"printed_name": "Other"}, headers=alex)
    problem(taken, 409, "username-taken")
    missing = await client.post(ACCOUNTS_PATH, json={"username": "x2"}, headers=alex)
    assert "printed_name" in problem(missing, 422, "invalid-body")["detail"]
    bad = await client.post(
        ACCOUNTS_PATH, json={"username": "a b", "printed_name": "A"}, headers=alex
    )
    assert "username" in problem(bad, 422, "invalid-body")["detail"]
    assert await services.store.head_position() == head


async def test_disabling_stops_the_account_and_enabling_restores_it(
    client: httpx.AsyncClient, services: Services, as_user: Api, demo: People
) -> None:
    alex, ivy = await as_user("alex"), await as_user("ivy")
    assert (await client.get("/api/trials", headers=ivy)).status_code == 200
    disabled = await client.post(
        f"{account(demo['ivy'])}/disable", json={"reason": "left St Mary's"}, headers=alex
    )
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled"] is True
    assert (await client.get("/api/trials", headers=ivy)).status_code == 401
    again = await client.post(f"{account(demo['ivy'])}/disable", json={"reason": "x"}, headers=alex)
    problem(again, 409, "nothing-to-change")
    yourself = await client.post(
        f"{account(demo['alex'])}/disable", json={"reason": "holiday"}, headers=alex
    )
    problem(yourself, 409, "cannot-disable-yourself")
    enabled = await client.post(
        f"{account(demo['ivy'])}/enable", json={"reason": "back at St Mary's"}, headers=alex
    )
    assert enabled.json()["disabled"] is False
    assert (await client.get("/api/trials", headers=ivy)).status_code == 200
    trail = (await client.get(f"{account(demo['ivy'])}/trail", headers=alex)).json()
    changes = [(e["type"], e["data"].get("reason")) for e in trail if "abled" in e["type"]]
    assert changes == [
        ("AccountDisabled", "left St Mary's"),
        ("AccountEnabled", "back at St Mary's"),
    ]


async def test_a_password_reset_gives_a_one_time_password(
    client: httpx.AsyncClient, as_user: Api, demo: People
) -> None:
    alex = await as_user("alex")
    reset = await client.post(f"{account(demo['ivy'])}/password-reset", json={}, headers=alex)
    assert reset.status_code == 200, reset.text
    assert reset.headers["cache-control"] == "no-store"
    password = reset.json()["one_time_password"]
    shown = (await client.get(account(demo["ivy"]), headers=alex)).json()
    assert shown["must_change_password"] is True
    signed_in = await client.post("/api/session", json={"username": "ivy", "password": password})
    assert signed_in.status_code == 200, signed_in.text
    own = await client.post(f"{account(demo['alex'])}/password-reset", json={}, headers=alex)
    problem(own, 409, "cannot-reset-own-password")
    extra = await client.post(
        f"{account(demo['ivy'])}/password-reset", json={"to": "x"}, headers=alex
    )
    problem(extra, 422, "unknown-fields")


async def test_training_is_attested_by_someone_else_and_withdrawn_with_a_reason(
    client: httpx.AsyncClient, services: Services, as_user: Api, demo: People
) -> None:
    alex = await as_user("alex")
    training = f"{account(demo['sam'])}/training"
    today = services.clock().date()
    head = await services.store.head_position()
    own = await client.post(
        f"{account(demo['alex'])}/training",
        json={"course": GCP_TRAINING, "completed_on": today.isoformat()},
        headers=alex,
    )
    assert "your own training" in problem(own, 403, "self-attested-training")["detail"]
    future = (today + timedelta(days=3)).isoformat()
    ahead = await client.post(
        training, json={"course": GCP_TRAINING, "completed_on": future}, headers=alex
    )
    assert "completed_on" in problem(ahead, 422, "training-date-in-future")["detail"]
    garbled = await client.post(
        training, json={"course": GCP_TRAINING, "completed_on": "soon"}, headers=alex
    )
    assert "completed_on" in problem(garbled, 422, "invalid-body")["detail"]
    assert await services.store.head_position() == head

    done = await client.post(
        training, json={"course": GCP_TRAINING, "completed_on": today.isoformat()}, headers=alex
    )
    assert done.status_code == 201, done.text
    withdraw = f"{training}/{GCP_TRAINING}/withdraw"
    blank = await client.post(withdraw, json={"reason": ""}, headers=alex)
    assert "reason" in problem(blank, 422, "invalid-body")["detail"]
    withdrawn = await client.post(withdraw, json={"reason": "wrong person"}, headers=alex)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["training"] == []
    gone = await client.post(withdraw, json={"reason": "again"}, headers=alex)
    problem(gone, 404, "training-not-attested")
    trail = (await client.get(f"{account(demo['sam'])}/trail", headers=alex)).json()
    assert [e["type"] for e in trail][-2:] == [
        "AccountTrainingAttested",
        "AccountTrainingWithdrawn",
    ]


def test_the_openapi_entries_describe_every_administration_route() -> None:
    routed = {
        (route.path, method.lower())
        for route in ACCOUNT_ROUTES
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    described = {
        (path, method)
        for path, operations in ACCOUNT_OPENAPI_PATHS.items()
        for method in operations
    }
    assert routed == described
    for path, operations in ACCOUNT_OPENAPI_PATHS.items():
        for operation in operations.values():
            assert "403" in operation["responses"], path
            named = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert named == set(re.findall(r"{(\w+)}", path)), path
