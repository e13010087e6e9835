"""Founding a trial: the one command whose actor is not yet a member of anything.

Only a trial creator may found a trial (the system role ``trial_creator``, decided by
Casbin: :data:`rbac.SystemAction.FOUND_TRIAL`). The founder's training is not taken from
the request: it is what the founder's account stream says was attested at system level
by someone else (``POST /api/accounts/{user_id}/training``), copied into the new trial
with each record's attester.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from domain.actor import Actor
from domain.codec import encode
from domain.roles import OrganizationKind, Role
from domain.workspace import CreateTrial
from rbac import SystemAction
from server.accounts.account_training import founder_training
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

SERVER_FIELDS = ("founder_training", "founded_at")
"""Fields of :class:`CreateTrial` the server fills in, never the request."""


async def create_trial(request: Request) -> Response:
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    user_id = principal.user.user_id
    require_trial_creator(services, user_id)
    meta = request_meta(request, principal)
    body = await read_json_object(request)
    idempotency = idempotent_request(request, user_id, body)
    for name in SERVER_FIELDS:
        if name in body:
            raise Problem(
                422,
                "unknown-fields",
                f"{name} is not sent: the founder's training is what a system administrator"
                " attested for your account, and the server dates the founding",
            )
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
        user_id=user_id,
        printed_name=principal.user.printed_name,
        organization_id=check_id(organization_id, "organization_id"),
        organization_kind=OrganizationKind(kind),
    )
    trial_id = body.get("trial_id")
    if isinstance(trial_id, str):
        check_id(trial_id, "trial_id")
    training = founder_training(user_id, await services.account_log.state(user_id))
    filled = {"founder_training": encode(training), "founded_at": encode(services.clock())}
    command = command_maker(CreateTrial, body | filled)(actor=actor)
    require_founder_training(command)
    outcome = await services.commands.create_trial(actor, command, meta, idempotency=idempotency)
    return outcome_response(outcome, created=True)


def require_trial_creator(services: Services, user_id: str) -> None:
    """403 unless ``user_id`` may found trials (the system role trial_creator): founding
    here and importing a trial from a USDM file alike."""
    if not services.authorizer.allows_system(user_id, SystemAction.FOUND_TRIAL):
        raise Problem(
            403,
            "not-a-trial-creator",
            "founding a trial needs the system role trial_creator, which a system"
            " administrator grants",
            title="Not a trial creator",
            role="trial_creator",
        )


def require_founder_training(command: CreateTrial) -> None:
    """409 naming the courses the charter requires of a trial admin that the founder has
    no system-level attestation of."""
    required = command.charter.role_rule(Role.TRIAL_ADMIN).training
    missing = sorted(required - {training.course for training in command.founder_training})
    if missing:
        courses = ", ".join(missing)
        raise Problem(
            409,
            "founder-training-missing",
            f"the trial's first trial admin needs attested training in {courses}: a system"
            " administrator attests it for your account",
            title="Founder's training not attested",
            courses=missing,
        )
