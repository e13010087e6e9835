"""Every route, as every role, in its own trial and in another: Casbin's decision, walked.

The table is the route tables (each route names its action) crossed with
``rbac.PERMISSIONS`` (which role may attempt which action). A person who is not a member
of the other trial holds no role there, so everything in it is refused, and refused as if
the trial did not exist (404): a 403 would tell a stranger which trial ids exist.
"""

from __future__ import annotations

import httpx

from rbac import PERMISSIONS, Action
from server.app import READ_ROUTES
from server.demo import DEMO_TRIAL, DemoPerson
from server.http.command_routes import COMMAND_ROUTES
from server.http.invitations import INVITEE_ROUTES
from tests.integration.server.conftest import OTHER_TRIAL, Api

PEOPLE = ("alex", "sam", "ivy", "pat", "elena", "aud")


def concrete(path: str, trial_id: str, user_id: str) -> str:
    return path.format(
        trial_id=trial_id,
        amendment_id="A-1",
        motion_id="M-1",
        dispute_id="D-1",
        number="5.2",
        conflict_number="1",
        user_id=user_id,
        subject_kind="amendment",
        subject_id="A-1",
        comment_id="C-1",
        invitation_id="I-1",
        version="1",
        site_id="st-marys",
    )


def refused_by_casbin(response: httpx.Response) -> bool:
    return response.status_code == 403 and response.json()["type"].endswith("/not-authorized")


def hidden(response: httpx.Response) -> bool:
    """Answered as a trial that does not exist."""
    return response.status_code == 404 and response.json()["type"].endswith("/trial-not-found")


async def test_every_route_decides_by_role_and_by_trial(
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    other_trial: None,
) -> None:
    mismatches = []
    for username in PEOPLE:
        person = demo[username]
        headers = await as_user(username)
        allowed_here = PERMISSIONS[person.role]
        for trial_id in (DEMO_TRIAL, OTHER_TRIAL):
            requests = [(r.method, r.path, r.action, r.name) for r in COMMAND_ROUTES] + [
                ("GET", q.path, q.action, q.name) for q in READ_ROUTES if q.action
            ]
            for method, path, action, name in requests:
                url = concrete(path, trial_id, person.user_id)
                response = await app_client.request(method, url, json={}, headers=headers)
                assert response.status_code < 500, (name, username, response.text)
                if trial_id == OTHER_TRIAL:
                    if not hidden(response):
                        mismatches.append((name, username, trial_id, response.status_code))
                    continue
                if refused_by_casbin(response) == _allows(allowed_here, action):
                    mismatches.append((name, username, trial_id, response.status_code))
    assert mismatches == []


def _allows(allowed: frozenset[Action], action: Action | None) -> bool:
    return action is None or action in allowed


async def test_answers_to_an_invitation_are_authorized_by_the_invitation_not_by_a_role(
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    other_trial: None,
) -> None:
    """Accepting and declining need no role (an invitee has none): Casbin never refuses
    them. Without an invitation, a member is told there is none; anyone else that the
    trial does not exist."""
    answers = []
    for username in PEOPLE:
        headers = await as_user(username)
        for trial_id in (DEMO_TRIAL, OTHER_TRIAL):
            for route in INVITEE_ROUTES:
                url = concrete(route.path, trial_id, demo[username].user_id)
                response = await app_client.post(url, json={}, headers=headers)
                kind = response.json()["type"].rsplit("/", 1)[-1]
                answers.append((route.name, username, trial_id, response.status_code, kind))
    expected = [
        (
            name,
            username,
            trial_id,
            404,
            "invitation-not-found" if trial_id == DEMO_TRIAL else "trial-not-found",
        )
        for name, username, trial_id, _, _ in answers
    ]
    assert answers == expected
