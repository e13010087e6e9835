"""Signing in and out, the current user, changing one's own password, and personal API
tokens."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.account_events import SessionEnded
from server.accounts.passwords import PasswordTooWeak
from server.accounts.sessions import OpenedSession
from server.accounts.throttle import LoginThrottled
from server.accounts.users import InvalidCredentials, User
from server.http.authentication import SESSION_COOKIE, require_principal, throttled
from server.http.command_endpoint import client_address, request_meta
from server.http.json_body import read_json_object
from server.http.problems import Problem
from server.services import Services


def user_view(user: User) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "username": user.username,
        "printed_name": user.printed_name,
        "must_change_password": user.must_change_password,
    }


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
    client = client_address(request)
    opened = await services.sessions.open(user.user_id)
    try:
        await services.accounts.record_sign_in(user, session_id=opened.session_id, client=client)
    except BaseException:
        await services.sessions.close(opened.token)  # nothing unrecorded stays open
        raise
    return _signed_in(services, user, opened)


def _signed_in(services: Services, user: User, opened: OpenedSession) -> Response:
    """The answer that hands a new session to the browser (its cookie, its CSRF token)."""
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
    services: Services = request.app.state.services
    principal = await require_principal(request, allow_pending_password_change=True)
    csrf = principal.session.csrf_token if principal.session else None
    roles = sorted(services.authorizer.system_roles_of(principal.user.user_id))
    return JSONResponse(
        {
            "user": user_view(principal.user),
            "via": principal.via,
            "csrf_token": csrf,
            "system_roles": roles,
        }
    )


async def change_password(request: Request) -> Response:
    """The owner replaces their password, re-entering the current one. Every session of
    the account ends; the one asking gets a new one (a new cookie and CSRF token)."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True, allow_pending_password_change=True)
    if principal.session is None:
        raise Problem(
            403,
            "session-required",
            "change your password in a signed-in session, not with an API token",
        )
    body = await read_json_object(request)
    current, new = _text_fields(body, "current_password", "new_password")
    user = principal.user
    try:
        await services.accounts.change_password(
            user.user_id,
            current,
            new,
            client=client_address(request),
            meta=request_meta(request, principal),
        )
    except LoginThrottled as refused:
        raise throttled(refused) from None
    except InvalidCredentials:
        raise Problem(
            403, "wrong-current-password", "the current password is wrong: nothing changed"
        ) from None
    except PasswordTooWeak as weak:
        raise Problem(422, "password-too-weak", str(weak), title="Password refused") from None
    services.live.end_user(user.user_id)
    opened = await services.sessions.open(user.user_id)
    changed = replace(user, must_change_password=False)
    return _signed_in(services, changed, opened)


async def sign_out(request: Request) -> Response:
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True, allow_pending_password_change=True)
    token = request.cookies.get(SESSION_COOKIE)
    if token and principal.session is not None:
        ended = SessionEnded(
            user_id=principal.user.user_id, session_id=principal.session.session_id
        )
        await services.account_log.record(
            principal.user.user_id, ended, meta=request_meta(request, principal)
        )
        await services.sessions.close(token)
        services.live.sign_out(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
