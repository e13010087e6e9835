"""The one endpoint behind every command route: body -> command -> service -> response."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.codec import DataDoesNotFit, decode_all_but, encode
from domain.event import Command
from server.accounts.throttle import LoginThrottled
from server.commands.service import Outcome
from server.http.authentication import Principal, require_principal, throttled
from server.http.authorization import authorize
from server.http.command_fields import CommandRoute, FieldPlan, Source, field_plan
from server.http.idempotency_header import REPLAYED_HEADER, idempotent_request
from server.http.identifiers import BODY_IDS, check_id, path_params
from server.http.json_body import read_json_object
from server.http.numbers import whole_number
from server.http.problems import Problem
from server.http.request_id import request_id
from server.services import Services

C = TypeVar("C", bound=Command)


def endpoint_for(route: CommandRoute) -> Callable[[Request], Any]:
    """The Starlette endpoint that runs ``route``'s command."""
    plan = field_plan(route)

    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        principal = await require_principal(request, unsafe=True)
        params = path_params(request)
        authorize(services, principal, params["trial_id"], route.action)
        meta = request_meta(request, principal)
        if_match = if_match_version(request)
        body = await read_json_object(request)
        idempotency = idempotent_request(request, principal.user.user_id, body)
        data = await _command_data(route, plan, request, services, principal, params, body)
        make = command_maker(route.command, data)
        target = route.target(params)
        outcome = await services.commands.execute(
            target,
            principal.user.user_id,
            lambda actor: make(actor=actor),
            if_match=if_match,
            meta=meta,
            idempotency=idempotency,
        )
        return outcome_response(outcome, created=route.created)

    endpoint.__name__ = route.name
    return endpoint


async def _command_data(
    route: CommandRoute,
    plan: FieldPlan,
    request: Request,
    services: Services,
    principal: Principal,
    params: dict[str, str],
    body: dict[str, Any],
) -> dict[str, Any]:
    unknown = sorted(body.keys() - plan.accepted)
    if unknown:
        raise Problem(
            422,
            "unknown-fields",
            f"{route.name} does not take {unknown}; it takes {sorted(plan.accepted)}",
        )
    for name in BODY_IDS & body.keys():
        if isinstance(body[name], str):
            check_id(body[name], name)
    data = {name: value for name, value in body.items() if name != "password"}
    for name, hint, source in plan.fields:
        if source is Source.PATH:
            data[name] = _from_path(params[name], hint, name)
        elif source is Source.NOW:
            data[name] = encode(services.clock())
        elif source is Source.NEW_ID:
            chosen = body.get(name)
            value = check_id(chosen, name) if isinstance(chosen, str) else uuid.uuid4().hex[:12]
            data[name] = params[name] = value
        elif source is Source.PASSWORD:
            data[name] = await _confirm_password(request, services, principal, body)
    return data


def _from_path(text: str, hint: Any, name: str) -> Any:
    if hint is int:
        number = whole_number(text)
        if number is None:
            raise Problem(
                422, "malformed-path", f"{name} must be a whole number, not {text[:40]!r}"
            )
        return number
    return text


async def _confirm_password(
    request: Request, services: Services, principal: Principal, body: Mapping[str, Any]
) -> bool:
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise Problem(
            422,
            "password-required",
            "signing needs your password again (field 'password')",
            title="Re-enter your password to sign",
        )
    try:
        confirmed = await services.accounts.confirm_password(
            principal.user.user_id, password, client=client_address(request)
        )
    except LoginThrottled as refused:
        raise throttled(refused) from None
    if not confirmed:
        raise Problem(
            403,
            "signature-not-confirmed",
            "the password does not match; nothing was signed",
            title="Signature not confirmed",
        )
    return True


def command_maker(command_type: type[C], data: Mapping[str, Any]) -> Callable[..., C]:
    """The command ``data`` describes (JSON form, every field but the actor), to be made
    once its actor is known (``make(actor=...)``), or a 422 problem."""
    try:
        return decode_all_but(command_type, data, later="actor")
    except DataDoesNotFit as error:
        raise Problem(422, "invalid-body", str(error), title="The body does not fit") from None


def if_match_version(request: Request) -> int | None:
    """The stream version an If-Match header pins, if any (``"7"`` or ``W/"7"``)."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    version = whole_number(header.strip().removeprefix("W/").strip('"'))
    if version is None:
        raise Problem(
            400,
            "malformed-if-match",
            f"If-Match must be an ETag this server gave, not {header[:40]!r}",
        )
    return version


def etag(version: int) -> str:
    return f'"{version}"'


def request_meta(request: Request, principal: Principal) -> dict[str, Any]:
    """What the log records about who asked, and how: the actor, ``via`` session or
    token, which one (``session_id`` or ``token_id``; never the secret) and the request's
    id (a 400 problem for a malformed ``X-Request-ID``)."""
    return {
        "actor": principal.user.user_id,
        "via": principal.via,
        **principal.credential,
        "request_id": request_id(request),
    }


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def outcome_response(outcome: Outcome, *, created: bool) -> Response:
    body = {
        "position": outcome.position,
        "version": outcome.version,
        "events": [{"type": e.type, "data": e.data} for e in outcome.events],
    }
    status = 201 if created and outcome.position is not None else 200
    headers = {"ETag": etag(outcome.version)}
    if outcome.replayed:
        headers[REPLAYED_HEADER] = "true"
    return JSONResponse(body, status_code=status, headers=headers)
