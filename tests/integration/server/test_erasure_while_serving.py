"""A running server forgets an erased person at once: once the approval that completes an
erasure request (``POST /api/accounts/{id}/personal-data/erasure/approvals``) answers,
its views (the workspace's members, an amendment's signatures, the account's trail, the
audit replay, a pending invitation) read the name as [erased] without a restart, though
each of them had folded it before. A refused request records nothing and erases
nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from domain.account_events import SystemRole
from domain.personal_data import ERASED, user_subject
from domain.streams import trial_stream
from domain.workspace import TrialState
from events import NewEvent, StreamAppend
from events.snapshots import ProjectionSnapshot, ProjectionSnapshots, projection_snapshots
from server.audit.history import TrialHistory
from server.commands.aggregates import WORKSPACE
from server.commands.directory import Directory
from server.commands.state_cache import Loaded, StateCache
from server.commands.state_snapshots import snapshot_name
from server.demo import DEMO_TRIAL, DemoPerson
from server.erasure_reaction import ForgetErasedData
from server.personal_data import ERASURE_TYPE
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.erasures import erase, erasure_path, second_system_admin
from tests.integration.server.founders import OPERATOR, grant_system_role
from tests.integration.server.test_audit_exports import signed_by_sam
from tests.integration.server.test_invitations import invitations, invite

SAM = "Samira Reyes"
TYPED = f"{SAM} takes part as sponsor lead"
"""Free text the demo's admin typed, naming Sam: no erasure reaches it (see the docs)."""


def _erasure(user_id: str) -> str:
    return erasure_path(user_id)


async def _views(client: httpx.AsyncClient, trial: str, as_user: Api, sam_id: str) -> list[str]:
    """What the server shows of Sam: the workspace (as an investigator), A-1 (its
    signatures), Sam's account trail (as the system admin) and the audit replay."""
    ivy, alex, aud = await as_user("ivy"), await as_user("alex"), await as_user("aud")
    workspace = await client.get(trial, headers=ivy)
    amendment = await client.get(f"{trial}/amendments/A-1", headers=ivy)
    trail = await client.get(f"/api/accounts/{sam_id}/trail", headers=alex)
    replay = await client.get(f"{trial}/audit/replay", headers=aud)
    answers = [workspace, amendment, trail, replay]
    for answer in answers:
        assert answer.status_code == 200, answer.text
    return [answer.text.replace(TYPED, "") for answer in answers]


async def test_a_running_server_shows_an_erased_name_as_erased_once_the_erasure_answers(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
) -> None:
    signed = await signed_by_sam(app_client, demo, as_user, trial)
    assert [s["printed_name"] for s in signed["signatures"]] == [SAM]
    sam_id = demo["sam"].user_id
    before = await _views(app_client, trial, as_user, sam_id)
    assert all(SAM in text for text in before)  # each view has folded her name

    reason = "GDPR art. 17 request of 2026-12-01, ticket 4411"
    as_alex = await as_user("alex")
    head = await services.store.head_position()
    still_enabled = await app_client.post(
        _erasure(sam_id), json={"reason": reason}, headers=as_alex
    )
    assert still_enabled.status_code == 409, still_enabled.text
    assert still_enabled.json()["type"].endswith("/account-enabled")
    assert await services.store.head_position() == head  # nothing recorded, nothing erased
    disabled = await app_client.post(
        f"/api/accounts/{sam_id}/disable", json={"reason": "left the sponsor"}, headers=as_alex
    )
    assert disabled.status_code == 200, disabled.text
    as_vera = await second_system_admin(services)  # requests; alex, trial admin, approves
    erased = await erase(app_client, sam_id, f" {reason} ", requester=as_vera, approver=as_alex)
    assert erased.status_code == 200, erased.text
    assert erased.json()["user_id"] == sam_id
    assert erased.json()["status"] == "erased"
    assert erased.json()["keys_erased"] >= 1
    await services.follower.wait_for(erased.json()["position"])

    after = await _views(app_client, trial, as_user, sam_id)
    assert [SAM in text for text in after] == [False, False, False, False]
    assert all(ERASED in text for text in after)
    assert "Dr Ivy Chen" in after[0]  # only Sam's data is erased
    amendment = (
        await app_client.get(f"{trial}/amendments/A-1", headers=await as_user("ivy"))
    ).json()
    assert [s["printed_name"] for s in amendment["signatures"]] == [ERASED]
    trail = (
        await app_client.get(f"/api/accounts/{sam_id}/trail", headers=await as_user("alex"))
    ).json()
    [erasure] = [e for e in trail if e["type"] == ERASURE_TYPE]
    assert erasure["data"]["reason"] == reason
    assert erasure["data"]["approved_by"] == demo["alex"].user_id
    assert erasure["actor"] is not None

    # The accounts table keeps no name of hers either; her old username is free again.
    accounts = (await app_client.get("/api/accounts", headers=as_alex)).json()
    [account] = [a for a in accounts if a["user_id"] == sam_id]
    assert account["username"] == f"erased-{sam_id}"
    assert (account["printed_name"], account["erased"], account["disabled"]) == (
        ERASED,
        True,
        True,
    )
    assert "Samira" not in str(accounts)
    enabled = await app_client.post(
        f"/api/accounts/{sam_id}/enable", json={"reason": "came back"}, headers=as_alex
    )
    assert enabled.status_code == 409
    assert enabled.json()["type"].endswith("/account-erased")
    reset = await app_client.post(
        f"/api/accounts/{sam_id}/password-reset", json={}, headers=as_alex
    )
    assert reset.status_code == 409
    again = await app_client.post(
        "/api/accounts", json={"username": "sam", "printed_name": "Sam Other"}, headers=as_alex
    )
    assert again.status_code == 201, again.text
    assert again.json()["user_id"] != sam_id


async def test_a_pending_invitation_names_its_erased_inviter_as_erased(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
) -> None:
    as_vera = await second_system_admin(services)
    nora = await services.accounts.create_user("nora", "Nora Newcomer", "a long passphrase")
    await invite(app_client, await as_user("alex"), "nora", trial=trial, organization_id="st-marys")
    issued = await services.tokens.issue(nora.user_id, "tests")
    as_nora = {"Authorization": f"Bearer {issued.token}"}
    [pending] = await invitations(app_client, as_nora)
    assert pending["invited_by"] == "Alex Morgan"

    # Alex is the trial's only admin: Sam becomes one too, to approve his erasure.
    granted = await app_client.post(
        f"{trial}/members/{demo['sam'].user_id}/roles",
        json={"role": "trial_admin", "reason": "takes over from Alex"},
        headers=await as_user("alex"),
    )
    assert granted.status_code == 200, granted.text
    await services.accounts.disable(demo["alex"].user_id, reason="left", meta=OPERATOR)
    erased = await erase(
        app_client,
        demo["alex"].user_id,
        "left the sponsor",
        requester=as_vera,
        approver=await as_user("sam"),
    )
    assert erased.status_code == 200, erased.text

    [pending] = await invitations(app_client, as_nora)
    assert pending["invited_by"] == ERASED
    assert pending["trial_id"] == DEMO_TRIAL


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("ivy", {"reason": "r"}, 403),  # an investigator, no system role
        ("aud", {"reason": "r"}, 403),  # an auditor of the trial, no system role
        ("auditor", {"reason": "r"}, 403),  # account_auditor reads trails, erases nothing
        ("creator", {"reason": "r"}, 403),  # trial_creator
        ("alex", {"reason": "  "}, 422),
        ("alex", {}, 422),
        ("alex", {"reason": "r", "subjects": ["x"]}, 422),
        ("alex", {"reason": 4}, 422),
    ],
    ids=[
        "investigator", "trial auditor", "account auditor", "trial creator", "blank reason",
        "no reason", "unknown field", "reason not text",
    ],
)  # fmt: skip
async def test_a_refused_erasure_records_nothing_and_erases_nothing(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
    who: str,
    body: dict[str, object],
    status: int,
) -> None:
    if who in ("auditor", "creator"):
        role = SystemRole.ACCOUNT_AUDITOR if who == "auditor" else SystemRole.TRIAL_CREATOR
        holder = await services.accounts.create_user(who, "Role Holder", "a long passphrase")
        await grant_system_role(services, holder.user_id, role)
        headers = {
            "Authorization": f"Bearer {(await services.tokens.issue(holder.user_id, 't')).token}"
        }
    else:
        headers = await as_user(who)
    head = await services.store.head_position()
    refused = await app_client.post(_erasure(demo["sam"].user_id), json=body, headers=headers)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert await services.store.head_position() == head
    workspace = await app_client.get(trial, headers=await as_user("ivy"))
    assert SAM in workspace.text.replace(TYPED, "")


async def test_an_erasure_of_an_unknown_account_is_404_and_records_nothing(
    services: Services, app_client: httpx.AsyncClient, as_user: Api
) -> None:
    head = await services.store.head_position()
    refused = await app_client.post(
        _erasure("no-such-user"), json={"reason": "r"}, headers=await as_user("alex")
    )
    assert refused.status_code == 404, refused.text
    assert refused.json()["type"].endswith("account-not-found")
    assert await services.store.head_position() == head


async def test_a_warm_up_under_way_when_the_states_are_forgotten_keeps_nothing(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    """A fold that read the name before the erasure and ends after it is not cached: the
    next load folds the stream from the log, where the name reads as erased."""
    store, stream = services.store, trial_stream(DEMO_TRIAL)
    states = StateCache(store)
    await states.catch_up(await store.head_position())
    folded_before = await states.load_at(WORKSPACE, stream, await store.head_position())
    assert SAM in str(folded_before.state)
    started, gate, starts = asyncio.Event(), asyncio.Event(), []

    async def start(stream_id: str) -> Loaded[TrialState]:
        starts.append(stream_id)
        if len(starts) > 1:
            return Loaded(WORKSPACE.new, 0)  # later warm-ups fold from the log's start
        started.set()
        await gate.wait()  # the first is under way, holding what it read before
        return folded_before

    states.start_from(WORKSPACE, start)
    first = asyncio.create_task(states.load(WORKSPACE, stream))
    await started.wait()
    await store.personal_data.erase([user_subject(demo["sam"].user_id)])
    states.forget_all()  # as the follower's reaction does on reading the erasure
    gate.set()
    assert SAM in str((await first).state)  # the load begun before gets what it folded
    loaded = await states.load(WORKSPACE, stream)
    assert starts == [stream, stream]
    assert SAM not in str(loaded.state)
    assert ERASED in str(loaded.state)
    await states.close()


async def test_the_audit_history_forgets_its_checkpoints(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    """Checkpoints folded before the erasure are dropped: the replay folds the log again."""
    store = services.store
    history = TrialHistory(store, snapshot_every=1)  # a checkpoint after every event
    head = await store.head_position()
    assert SAM in str((await history.at(DEMO_TRIAL, head)).states)
    await store.personal_data.erase([user_subject(demo["sam"].user_id)])
    history.forget_all()
    replayed = str((await history.at(DEMO_TRIAL, head)).states)
    assert SAM not in replayed.replace(TYPED, "")
    assert ERASED in replayed
    await history.close()


async def test_snapshots_written_late_from_older_folds_are_deleted_again(
    services: Services, app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api
) -> None:
    """A snapshot encoded before the erasure may be written after it deleted them: the
    follower's reaction deletes those of positions up to the erasure once more, and keeps
    the later ones (folded from the log as it reads now)."""
    await services.accounts.disable(demo["sam"].user_id, reason="left", meta=OPERATOR)
    erased = await erase(
        app_client,
        demo["sam"].user_id,
        "ticket 4411",
        requester=await second_system_admin(services),
        approver=await as_user("alex"),
    )
    assert erased.status_code == 200, erased.text
    position = erased.json()["position"]
    engine = services.checkpoints.engine
    snapshots = ProjectionSnapshots(engine)
    late = ProjectionSnapshot(snapshot_name("trial/t/workspace"), position - 1, 1, b"{}")
    await snapshots.save(late)  # as if a save begun before the erasure ended now
    later = await services.store.append(StreamAppend("s", [NewEvent("Noted", {})]))
    kept = ProjectionSnapshot(Directory.name, later.last_position, 1, b"{}")
    await snapshots.save(kept)

    [event] = await services.store.read_all(after=position - 1, limit=1)
    assert event.type == ERASURE_TYPE
    store = services.store
    reaction = ForgetErasedData(
        store,
        engine,
        snapshots,
        states=StateCache(store),
        directory=Directory(store),
        history=TrialHistory(store),
    )
    reaction.apply(event)  # as this process's follower applies it
    await reaction.settled()
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(projection_snapshots.c.name, projection_snapshots.c.position))
        ).all()
    assert (late.name, late.position) not in rows
    assert (kept.name, kept.position) in rows
