"""Erasure requests when other changes come first: each step is appended with the account
stream's version it was decided on, and decided again on a fresh read otherwise, so
two approvals at once never both believe the other missing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from domain.account_events import account_stream
from domain.personal_data import PersonalDataErased
from domain.streams import trial_stream
from domain.workspace_state import TrialState
from events import NewEvent, StreamAppend
from server.accounts.users import User
from server.commands.aggregates import WORKSPACE
from server.commands.errors import ConcurrentChange
from server.demo import DEMO_TRIAL, DemoPerson
from server.erasure_requests import ATTEMPTS, ErasureRequests
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.erasures import approve_erasure, request_erasure, second_system_admin
from tests.integration.server.founders import OPERATOR
from tests.integration.server.test_invitations import LURE, LURE_PATH, invite, mallory

__all__ = ["mallory"]


async def test_two_approvals_at_once_erase_once_with_both(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    mallory: dict[str, str],
) -> None:
    ivy_id, as_ivy = demo["ivy"].user_id, await as_user("ivy")
    invitation = await invite(app_client, mallory, "ivy")
    accepted = await app_client.post(
        f"{LURE_PATH}/invitations/{invitation}/acceptance", headers=as_ivy
    )
    assert accepted.status_code == 200, accepted.text
    await services.follower.wait_for(await services.store.head_position())
    await services.accounts.disable(ivy_id, reason="left", meta=OPERATOR)
    await request_erasure(app_client, ivy_id, "ticket 12", await second_system_admin(services))
    answers = await asyncio.gather(
        approve_erasure(app_client, ivy_id, await as_user("alex"), DEMO_TRIAL),
        approve_erasure(app_client, ivy_id, mallory, LURE),
    )
    assert sorted(answer.status_code for answer in answers) == [200, 202]
    trail = await services.account_log.trail(ivy_id)
    [erased] = [e for e in trail if e.type == PersonalDataErased.event_type]
    assert sorted(a["trial_id"] for a in erased.data["approvals"]) == sorted([DEMO_TRIAL, LURE])


@pytest.mark.parametrize("changes", [1, ATTEMPTS], ids=["once", "every time"])
async def test_an_approval_is_decided_again_when_the_account_changed_meanwhile(
    services: Services, demo: dict[str, DemoPerson], changes: int
) -> None:
    """Another change to the account lands while the approval is decided (here: while
    the trial is read): the approval is decided again on the stream as it now is; when
    that happens every time, it is refused and records no approval."""
    sam = demo["sam"]
    stream = account_stream(sam.user_id)
    made = 0

    async def trials_of(user_id: str) -> list[str]:
        return [DEMO_TRIAL]

    async def workspace_of(trial_id: str) -> TrialState:
        nonlocal made
        if made < changes:
            made += 1
            await services.store.append(StreamAppend(stream, [NewEvent("Noted", {})]))
        return (await services.states.load(WORKSPACE, trial_stream(trial_id))).state

    requests = ErasureRequests(
        services.store,
        services.checkpoints.engine,
        services.accounts,
        services.account_log,
        trials_of=trials_of,
        workspace_of=workspace_of,
    )
    await services.accounts.disable(sam.user_id, reason="left", meta=OPERATOR)
    person = await services.accounts.get(sam.user_id)
    alex = await services.accounts.get(demo["alex"].user_id)
    vera = await services.accounts.create_user("vera", "Vera Approver", "a long passphrase")
    assert isinstance(person, User)
    assert isinstance(alex, User)
    await requests.request(person, reason="ticket", requested_by=vera.user_id, meta=OPERATOR)
    if changes < ATTEMPTS:
        approval = await requests.approve(person, trial_id=DEMO_TRIAL, approver=alex, meta=OPERATOR)
        assert approval.erasure is not None
        types = [e.type for e in await services.account_log.trail(sam.user_id)]
        assert types.count("PersonalDataErasureApproved") == 1
    else:
        with pytest.raises(ConcurrentChange):
            await requests.approve(person, trial_id=DEMO_TRIAL, approver=alex, meta=OPERATOR)
        folded = await requests.read(sam.user_id)
        assert folded.pending is not None
        assert folded.pending.approvals == ()
