"""Invitations over HTTP: nobody joins a trial without accepting; a stranger learns nothing
about other people's accounts; declining and withdrawing are recorded; only the invitee
answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.charter import GCP_TRAINING
from domain.streams import trial_stream
from server.demo import DEMO_TRIAL, DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.founders import make_trial_creator

LURE = "lure-101"
LURE_PATH = f"/api/trials/{LURE}"
LURE_TITLE = "LURE-101: a trial nobody asked to join"
MALLORY_PASSWORD = "a long passphrase for mallory"


@pytest.fixture
async def mallory(services: Services, app_client: httpx.AsyncClient) -> dict[str, str]:
    """A stranger to every demo person, who founds a trial of her own (a system
    administrator made her a trial creator) and is its trial admin."""
    user = await services.accounts.create_user("mallory", "Mallory Lure", MALLORY_PASSWORD)
    await make_trial_creator(services, user.user_id)
    issued = await services.tokens.issue(user.user_id, "tests")
    headers = {"Authorization": f"Bearer {issued.token}"}
    founded = await app_client.post(
        "/api/trials",
        json={
            "trial_id": LURE,
            "title": LURE_TITLE,
            "organization_name": "Lure Pharma",
            "organization_id": "lure-pharma",
            "organization_kind": "sponsor",
        },
        headers=headers,
    )
    assert founded.status_code == 201, founded.text
    return headers


async def invite(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    username: str,
    *,
    trial: str = LURE_PATH,
    organization_id: str = "lure-pharma",
) -> str:
    """Invite ``username``; the new invitation's id."""
    sent = await client.post(
        f"{trial}/invitations",
        json={"username": username, "organization_id": organization_id},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    [event] = sent.json()["events"]
    assert event["type"] == "MemberInvited"
    invitation_id: str = event["data"]["invitation_id"]
    return invitation_id


async def trial_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    listed = await client.get("/api/trials", headers=headers)
    assert listed.status_code == 200, listed.text
    return [t["trial_id"] for t in listed.json()]


async def invitations(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = await client.get("/api/invitations", headers=headers)
    assert listed.status_code == 200, listed.text
    rows: list[dict[str, Any]] = listed.json()
    return rows


async def test_a_strangers_invitation_not_accepted_leaves_the_victims_trial_list_unchanged(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    demo: dict[str, DemoPerson],
    mallory: dict[str, str],
) -> None:
    sam = await as_user("sam")
    before = await trial_ids(app_client, sam)
    assert before == [DEMO_TRIAL]
    invitation_id = await invite(app_client, mallory, "sam")

    assert await trial_ids(app_client, sam) == before
    # Sam is no member: no training, no role, nothing to read there.
    sams_id = demo["sam"].user_id
    for path, body in (
        (
            f"/members/{sams_id}/training",
            {"training": {"course": GCP_TRAINING, "completed_on": "2026-01-05"}},
        ),
        (f"/members/{sams_id}/roles", {"role": "sponsor_member", "reason": "lured"}),
    ):
        refused = await app_client.post(LURE_PATH + path, json=body, headers=mallory)
        assert (refused.status_code, refused.json()["rule"]) == (404, "MemberNotFound")
    assert (await app_client.get(LURE_PATH, headers=sam)).status_code in (403, 404)
    # Adding a member directly, without their consent, is no longer a route.
    direct = await app_client.post(
        f"{LURE_PATH}/members",
        json={"user_id": sams_id, "organization_id": "lure-pharma"},
        headers=mallory,
    )
    assert direct.status_code in (404, 405)
    lure = (await app_client.get(LURE_PATH, headers=mallory)).json()
    assert [m["printed_name"] for m in lure["members"].values()] == ["Mallory Lure"]
    assert lure["invitations"][invitation_id]["status"] == "pending"
    # Sam sees the invitation, and only what deciding on it needs.
    assert await invitations(app_client, sam) == [
        {
            "trial_id": LURE,
            "invitation_id": invitation_id,
            "trial_title": LURE_TITLE,
            "organization": {"name": "Lure Pharma", "kind": "sponsor"},
            "invited_by": "Mallory Lure",
            "invited_at": lure["invitations"][invitation_id]["invited_at"],
        }
    ]
    assert await invitations(app_client, await as_user("ivy")) == []


async def test_the_user_lookup_reveals_nothing_about_a_non_member(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    demo: dict[str, DemoPerson],
    mallory: dict[str, str],
) -> None:
    disabled = await services.accounts.create_user("gone", "Gone Away", "a long passphrase 2")
    await services.accounts.disable(disabled.user_id, reason="left the study")

    async def look_up(username: str) -> httpx.Response:
        return await app_client.get(
            f"{LURE_PATH}/users", params={"username": username}, headers=mallory
        )

    # An account that exists, one that is disabled, and none at all: the same answer.
    for username in ("sam", "gone", "nobody-at-all"):
        found = await look_up(username)
        assert found.status_code == 200, found.text
        assert found.json() == {"username": username, "member": None, "pending_invitation": None}
        assert demo["sam"].user_id not in found.text
        assert "Samira" not in found.text
    # A pending invitation is the trial's own business.
    invitation_id = await invite(app_client, mallory, "sam")
    assert (await look_up("SAM")).json() == {
        "username": "SAM",
        "member": None,
        "pending_invitation": invitation_id,
    }
    # The trial's members are named (the admin sees them in the trial anyway).
    alex = await as_user("alex")
    ivy = await app_client.get(
        f"/api/trials/{DEMO_TRIAL}/users", params={"username": "Ivy"}, headers=alex
    )
    assert ivy.json() == {
        "username": "Ivy",
        "member": {"user_id": demo["ivy"].user_id, "printed_name": "Dr Ivy Chen"},
        "pending_invitation": None,
    }
    unnamed = await app_client.get(f"{LURE_PATH}/users", headers=mallory)
    assert unnamed.status_code == 422
    # Only someone who may administer the trial asks.
    refused = await app_client.get(
        f"/api/trials/{DEMO_TRIAL}/users", params={"username": "ivy"}, headers=await as_user("sam")
    )
    assert refused.status_code == 403


async def test_an_invitation_to_no_account_is_recorded_like_any_other(
    app_client: httpx.AsyncClient, mallory: dict[str, str]
) -> None:
    # Whether "nobody-at-all" has an account is not for the inviter to learn.
    invitation_id = await invite(app_client, mallory, "nobody-at-all")
    lure = (await app_client.get(LURE_PATH, headers=mallory)).json()
    assert lure["invitations"][invitation_id]["status"] == "pending"
    assert lure["invitations"][invitation_id]["username"] == "nobody-at-all"


async def test_accepting_makes_the_invitee_a_member_and_lists_the_trial(
    app_client: httpx.AsyncClient,
    as_user: Api,
    demo: dict[str, DemoPerson],
    mallory: dict[str, str],
) -> None:
    sam = await as_user("sam")
    invitation_id = await invite(app_client, mallory, "Sam")
    accepted = await app_client.post(
        f"{LURE_PATH}/invitations/{invitation_id}/acceptance", headers=sam
    )
    assert accepted.status_code == 200, accepted.text
    events = accepted.json()["events"]
    assert [e["type"] for e in events] == ["InvitationAccepted", "MemberAdded"]
    member = events[1]["data"]
    assert (member["user_id"], member["printed_name"], member["organization_id"]) == (
        demo["sam"].user_id,
        "Samira Reyes",
        "lure-pharma",
    )
    assert await trial_ids(app_client, sam) == [DEMO_TRIAL, LURE]
    assert await invitations(app_client, sam) == []
    lure = (await app_client.get(LURE_PATH, headers=mallory)).json()
    assert lure["invitations"][invitation_id]["status"] == "accepted"
    assert lure["members"][demo["sam"].user_id]["roles"] == []
    listed = (await app_client.get("/api/trials", headers=sam)).json()
    assert listed[1] == {"trial_id": LURE, "title": LURE_TITLE, "roles": []}
    # From here on Sam is a member like any other: trained, then granted a role.
    sams_id = demo["sam"].user_id
    training = {"training": {"course": GCP_TRAINING, "completed_on": "2026-01-05"}}
    trained = await app_client.post(
        f"{LURE_PATH}/members/{sams_id}/training", json=training, headers=mallory
    )
    assert trained.status_code == 200, trained.text
    role = {"role": "sponsor_member", "reason": "She said yes"}
    granted = await app_client.post(
        f"{LURE_PATH}/members/{sams_id}/roles", json=role, headers=mallory
    )
    assert granted.status_code == 200, granted.text
    access = (await app_client.get(f"{LURE_PATH}/access", headers=sam)).json()
    assert access["roles"] == ["sponsor_member"]
    # Accepting again is refused: the invitation is settled.
    again = await app_client.post(
        f"{LURE_PATH}/invitations/{invitation_id}/acceptance", headers=sam
    )
    assert (again.status_code, again.json()["rule"]) == (409, "InvitationNotPending")


async def test_declining_is_recorded_and_joins_nobody(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    demo: dict[str, DemoPerson],
    mallory: dict[str, str],
) -> None:
    sam = await as_user("sam")
    invitation_id = await invite(app_client, mallory, "sam")
    declined = await app_client.post(
        f"{LURE_PATH}/invitations/{invitation_id}/decline",
        json={"reason": "I do not know this sponsor"},
        headers=sam,
    )
    assert declined.status_code == 200, declined.text
    [event] = declined.json()["events"]
    assert (event["type"], event["data"]["reason"]) == (
        "InvitationDeclined",
        "I do not know this sponsor",
    )
    [recorded] = await services.store.read_all(types=["InvitationDeclined"])
    assert recorded.meta["actor"] == demo["sam"].user_id
    assert await trial_ids(app_client, sam) == [DEMO_TRIAL]
    assert await invitations(app_client, sam) == []
    lure = (await app_client.get(LURE_PATH, headers=mallory)).json()
    assert lure["invitations"][invitation_id]["status"] == "declined"
    assert lure["invitations"][invitation_id]["reason"] == "I do not know this sponsor"
    late = await app_client.post(f"{LURE_PATH}/invitations/{invitation_id}/acceptance", headers=sam)
    assert (late.status_code, late.json()["rule"]) == (409, "InvitationNotPending")
    # A body it does not take is refused, naming what it takes.
    odd = await app_client.post(
        f"{LURE_PATH}/invitations/{invitation_id}/decline", json={"why": "x"}, headers=sam
    )
    assert odd.status_code == 422


async def test_only_the_invitee_answers_and_nothing_is_recorded_otherwise(
    app_client: httpx.AsyncClient,
    services: Services,
    as_user: Api,
    mallory: dict[str, str],
) -> None:
    invitation_id = await invite(app_client, mallory, "sam")
    head = await services.store.head_position()
    for answer in ("acceptance", "decline"):
        path = f"{LURE_PATH}/invitations/{invitation_id}/{answer}"
        # Ivy may not read the trial and was not invited: to her it does not exist.
        stranger = await app_client.post(path, headers=await as_user("ivy"))
        assert (stranger.status_code, stranger.json()["type"]) == (
            404,
            "https://concord.example/problems/trial-not-found",
        )
        # Mallory is a member, but the invitation is not hers to answer.
        refused = await app_client.post(path, headers=mallory)
        assert (refused.status_code, refused.json()["rule"]) == (403, "NotTheInvitee")
        assert "sam" not in refused.json()["detail"].casefold()
    unknown = await app_client.post(
        f"{LURE_PATH}/invitations/no-such-invitation/acceptance", headers=await as_user("sam")
    )
    assert (unknown.status_code, unknown.json()["rule"]) == (404, "InvitationNotFound")
    no_trial = await app_client.post(
        f"/api/trials/no-such-trial/invitations/{invitation_id}/acceptance",
        headers=await as_user("sam"),
    )
    assert no_trial.status_code == 404
    assert await services.store.head_position() == head
    assert await trial_ids(app_client, await as_user("ivy")) == [DEMO_TRIAL]


async def test_an_admin_withdraws_a_pending_invitation(
    app_client: httpx.AsyncClient, as_user: Api, mallory: dict[str, str]
) -> None:
    sam = await as_user("sam")
    invitation_id = await invite(app_client, mallory, "sam")
    withdrawn = await app_client.post(
        f"{LURE_PATH}/invitations/{invitation_id}/withdrawal",
        json={"reason": "Sent by mistake"},
        headers=mallory,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert [e["type"] for e in withdrawn.json()["events"]] == ["InvitationWithdrawn"]
    assert await invitations(app_client, sam) == []
    late = await app_client.post(f"{LURE_PATH}/invitations/{invitation_id}/acceptance", headers=sam)
    assert (late.status_code, late.json()["rule"]) == (409, "InvitationNotPending")
    again = await app_client.post(
        f"{LURE_PATH}/invitations/{invitation_id}/withdrawal", headers=mallory
    )
    assert (again.status_code, again.json()["rule"]) == (409, "InvitationNotPending")


async def test_an_acceptance_retried_with_its_key_is_recorded_once(
    app_client: httpx.AsyncClient, as_user: Api, mallory: dict[str, str]
) -> None:
    sam = {**(await as_user("sam")), "Idempotency-Key": "accept-lure"}
    invitation_id = await invite(app_client, mallory, "sam")
    path = f"{LURE_PATH}/invitations/{invitation_id}/acceptance"
    first = await app_client.post(path, headers=sam)
    again = await app_client.post(path, headers=sam)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


async def test_invitations_name_an_admitted_organization_and_a_possible_username(
    app_client: httpx.AsyncClient, mallory: dict[str, str]
) -> None:
    elsewhere = await app_client.post(
        f"{LURE_PATH}/invitations",
        json={"username": "sam", "organization_id": "st-marys"},
        headers=mallory,
    )
    assert (elsewhere.status_code, elsewhere.json()["rule"]) == (404, "OrganizationNotFound")
    spaced = await app_client.post(
        f"{LURE_PATH}/invitations",
        json={"username": "sam reyes", "organization_id": "lure-pharma"},
        headers=mallory,
    )
    assert (spaced.status_code, spaced.json()["rule"]) == (422, "InvalidUsername")
    await invite(app_client, mallory, "sam")
    twice = await app_client.post(
        f"{LURE_PATH}/invitations",
        json={"username": "SAM", "organization_id": "lure-pharma"},
        headers=mallory,
    )
    assert (twice.status_code, twice.json()["rule"]) == (409, "InvitationAlreadyPending")


async def test_the_demo_enrols_its_people_by_invitations_they_accepted(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    events = await services.store.read_stream(trial_stream(DEMO_TRIAL))
    accepted = {e.data["user_id"]: e for e in events if e.type == "InvitationAccepted"}
    added = [e for e in events if e.type == "MemberAdded"]
    founder = demo["alex"].user_id
    for event in added:
        user_id = event.data["user_id"]
        if user_id == founder:
            continue
        consent = accepted[user_id]
        assert consent.position == event.position - 1
        assert consent.meta["actor"] == user_id
    assert {e.data["user_id"] for e in added} == {p.user_id for p in demo.values()}
