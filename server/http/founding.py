"""Founding a trial: the one command whose actor is not yet a member of anything."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domain.actor import Actor
from domain.roles import OrganizationKind
from domain.workspace import CreateTrial
from server.http.authentication import require_principal
from server.http.command_endpoint import command_maker, outcome_response, request_meta
from server.http.idempotency_header import idempotent_request
from server.http.identifiers import check_id
from server.http.json_body import read_json_object
from server.http.problems import Problem
from server.services import Services

FOUNDER_FIELDS: dict[str, Any] = {
    "organization_id": str,
    "organization_kind": OrganizationKind,
}
"""Body fields that describe the founder's organization (they become the actor's)."""


async def create_trial(request: Request) -> Response:
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    meta = request_meta(request, principal)
    body = await read_json_object(request)
    idempotency = idempotent_request(request, principal.user.user_id, body)
    organization_id = body.pop("organization_id", None)
    kind = body.pop("organization_kind", None)
    kinds_known = {k.value for k in OrganizationKind}
    if not isinstance(organization_id, str) or not isinstance(kind, str) or kind not in kinds_known:
        kinds = [k.value for k in OrganizationKind]
        raise Problem(
            422,
            "invalid-body",
            f"name your organization: organization_id and organization_kind (one of {kinds})",
        )
    actor = Actor(
        user_id=principal.user.user_id,
        printed_name=principal.user.printed_name,
        organization_id=check_id(organization_id, "organization_id"),
        organization_kind=OrganizationKind(kind),
    )
    trial_id = body.get("trial_id")
    if isinstance(trial_id, str):
        check_id(trial_id, "trial_id")
    command = command_maker(CreateTrial, body)(actor=actor)
    outcome = await services.commands.create_trial(actor, command, meta, idempotency=idempotency)
    return outcome_response(outcome, created=True)
