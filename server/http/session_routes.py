"""Signing in and out, the current user, and personal API tokens."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.accounts.throttle import LoginThrottled
from server.accounts.users import InvalidCredentials, User
from server.http.authentication import SESSION_COOKIE, require_principal, throttled
from server.http.command_endpoint import client_address
from server.http.json_body import read_json_object
from server.http.problems import Problem
from server.services import Services


def user_view(user: User) -> dict[str, Any]:
    return {"user_id": user.user_id, "username": user.username, "printed_name": user.printed_name}


def _text_fields(body: dict[str, Any], *names: str) -> list[str]:
    unknown = sorted(body.keys() - set(names))
    if unknown:
        raise Problem(422, "unknown-fields", f"unexpected fields {unknown}; send {list(names)}")
    values = [body.get(name) for name in names]
    missing = [
        name
        for name, value in zip(names, values, strict=True)
        if not isinstance(value, str) or not value
    ]
    if missing:
        raise Problem(422, "invalid-body", f"{missing} must be non-empty strings")
    return [str(value) for value in values]


async def sign_in(request: Request) -> Response:
    services: Services = request.app.state.services
    username, password = _text_fields(await read_json_object(request), "username", "password")
    try:
        user = await services.accounts.authenticate(
            username, password, client=client_address(request)
        )
    except LoginThrottled as refused:
        raise throttled(refused) from None
    except InvalidCredentials:
        raise Problem(
            401, "invalid-credentials", "the username or password is wrong", title="Not signed in"
        ) from None
    opened = await services.sessions.open(user.user_id)
    response = JSONResponse({"user": user_view(user), "csrf_token": opened.csrf_token})
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        httponly=True,
        samesite="lax",
        secure=services.settings.secure_cookies,
        path="/",
    )
    return response


async def current_session(request: Request) -> Response:
    principal = await require_principal(request)
    csrf = principal.session.csrf_token if principal.session else None
    return JSONResponse(
        {"user": user_view(principal.user), "via": principal.via, "csrf_token": csrf}
    )


async def sign_out(request: Request) -> Response:
    services: Services = request.app.state.services
    await require_principal(request, unsafe=True)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await services.sessions.close(token)
        services.live.sign_out(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def list_tokens(request: Request) -> Response:
    services: Services = request.app.state.services
    principal = await require_principal(request)
    tokens = await services.tokens.list_for(principal.user.user_id)
    return JSONResponse(
        [
            {
                "token_id": t.token_id,
                "name": t.name,
                "created_at": t.created_at.isoformat(),
                "revoked": t.revoked_at is not None,
            }
            for t in tokens
        ]
    )


async def issue_token(request: Request) -> Response:
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    (name,) = _text_fields(await read_json_object(request), "name")
    try:
        issued = await services.tokens.issue(principal.user.user_id, name)
    except ValueError as refused:
        raise Problem(422, "invalid-body", str(refused)) from None
    return JSONResponse(
        {"token_id": issued.token_id, "name": issued.name, "token": issued.token}, status_code=201
    )


async def revoke_token(request: Request) -> Response:
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    token_id = str(request.path_params["token_id"])
    if not await services.tokens.revoke(principal.user.user_id, token_id):
        raise Problem(404, "token-not-found", f"you have no API token {token_id}")
    return Response(status_code=204)
