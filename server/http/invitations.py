"""An invitation from the invitee's side: the pending invitations addressed to you, and
accepting or declining one.

The invitee is no member of the trial, so Casbin grants them nothing there: these routes
are not authorized by a role. Listing answers only the caller's own invitations. An
answer is authorized by the invitation itself, the way founding a trial is by the founder
(``server/http/founding.py``): the caller is passed to the command service as the actor
(``server.commands.invitations``) and the domain refuses anyone but the invitee
(``NotTheInvitee``, 403), before it says anything of how the invitation stands. Someone
who may not read the trial and was never invited to it is answered as if it did not
exist (404 ``trial-not-found``), as every other route answers them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domain.workspace_invitations import username_key
from rbac import Action
from server.commands.invitations import Answerer, accept_invitation, decline_invitation
from server.commands.service import Outcome
from server.commands.targets import workspace_target
from server.http.authentication import Principal, require_principal
from server.http.authorization import known_trial
from server.http.command_endpoint import outcome_response, request_meta
from server.http.idempotency_header import idempotent_request
from server.http.identifiers import path_params
from server.http.json_body import read_json_object
from server.http.problems import Problem
from server.services import Services

T = "/api/trials/{trial_id}"
INVITATION = T + "/invitations/{invitation_id}"

InvitationCommand = Callable[..., Awaitable[Outcome]]
"""An answer in ``server.commands.invitations`` (``accept_invitation``,
``decline_invitation``): it takes the commands, the states, the trial, the invitation and
the answerer, then ``meta``, ``idempotency`` and the fields of the route's body by name."""


@dataclass(frozen=True, slots=True)
class InviteeRoute:
    """An answer to an invitation over HTTP: authorized by the invitation, not by a role."""

    name: str
    path: str
    summary: str
    body: dict[str, type]
    """The optional body fields it takes, with their types (passed on by name)."""
    command: InvitationCommand


async def _answer(
    route: InviteeRoute,
    services: Services,
    request: Request,
    principal: Principal,
    params: dict[str, str],
    body: dict[str, Any],
) -> Outcome:
    """Run the route's command as the signed-in person, with the body's fields (only those
    the route takes: :func:`invitee_endpoint` refuses any other)."""
    user = principal.user
    return await route.command(
        services.commands,
        services.states,
        params["trial_id"],
        params["invitation_id"],
        Answerer(user.user_id, user.username, user.printed_name),
        meta=request_meta(request, principal),
        idempotency=idempotent_request(request, user.user_id, body),
        **body,
    )


INVITEE_ROUTES: tuple[InviteeRoute, ...] = (
    InviteeRoute(
        "accept_invitation",
        INVITATION + "/acceptance",
        "Accept an invitation addressed to you: you join the trial with your printed name",
        {},
        accept_invitation,
    ),
    InviteeRoute(
        "decline_invitation",
        INVITATION + "/decline",
        "Decline an invitation addressed to you (an optional reason says why)",
        {"reason": str},
        decline_invitation,
    ),
)
"""The invitee's commands; the authorization walk in the tests reads this table too."""


async def _concerned(services: Services, principal: Principal, trial_id: str) -> None:
    """404, as for a trial that does not exist, unless the caller may read the trial or
    was invited to it: to anyone else the trial's existence stays unknown."""
    known_trial(services, trial_id)
    user = principal.user
    if services.authorizer.allows(user.user_id, trial_id, Action.READ):
        return
    target = workspace_target(trial_id)
    trial = (await services.states.load(target.kind, target.stream_id)).state
    key = username_key(user.username)
    if not any(username_key(i.username) == key for i in trial.invitations.values()):
        raise Problem(404, "trial-not-found", f"there is no trial {trial_id}")


def invitee_endpoint(route: InviteeRoute) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        principal = await require_principal(request, unsafe=True)
        params = path_params(request)
        await _concerned(services, principal, params["trial_id"])
        body = await read_json_object(request)
        for name, value in body.items():
            expected = route.body.get(name)
            if expected is None:
                raise Problem(
                    422,
                    "unknown-fields",
                    f"{route.name} does not take {name!r}; it takes {sorted(route.body)}",
                )
            if not isinstance(value, expected):
                raise Problem(
                    422, "invalid-body", f"{name} must be {expected.__name__}, not {value!r}"
                )
        outcome = await _answer(route, services, request, principal, params, body)
        return outcome_response(outcome, created=False)

    endpoint.__name__ = route.name
    return endpoint
