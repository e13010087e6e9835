"""Who is asking: a session cookie (browser) or a bearer API token (scripts).

Unsafe methods on a cookie session must carry the session's CSRF token in
``X-CSRF-Token``; bearer tokens are not sent by browsers on their own, so they need none.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from starlette.requests import HTTPConnection, Request

from server.accounts.sessions import Session
from server.accounts.throttle import LoginThrottled
from server.accounts.users import User
from server.http.problems import Problem
from server.services import Services

SESSION_COOKIE = "concord_session"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user and how they proved it."""

    user: User
    via: Literal["session", "token"]
    session: Session | None = None


async def current_principal(request: HTTPConnection) -> Principal | None:
    """The caller, or None when the request (or websocket handshake) carries no valid
    credentials."""
    services: Services = request.app.state.services
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("use 'Authorization: Bearer <API token>'")
        user = await services.tokens.resolve_user(token.strip())
        if user is None:
            raise _unauthenticated("the API token is unknown or revoked")
        return Principal(user, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = await services.sessions.resolve_with_user(cookie)
    if found is None:
        return None
    session, user = found
    return Principal(user, "session", session)


async def require_principal(request: Request, *, unsafe: bool = False) -> Principal:
    """The caller (401 otherwise); for an ``unsafe`` request on a session, the CSRF check."""
    principal = await current_principal(request)
    if principal is None:
        raise _unauthenticated("sign in first (session cookie) or send an API token")
    if unsafe and principal.session is not None:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), principal.session.csrf_token.encode()):
            raise Problem(
                403,
                "csrf-token-mismatch",
                f"send the session's CSRF token in the {CSRF_HEADER} header",
                title="CSRF token missing or wrong",
            )
    return principal


def _unauthenticated(detail: str) -> Problem:
    return Problem(
        401,
        "unauthenticated",
        detail,
        title="Not signed in",
        headers={"WWW-Authenticate": 'Bearer realm="concord"'},
    )


def throttled(refused: LoginThrottled) -> Problem:
    """429 with ``Retry-After``: too many wrong passwords, at sign-in or when signing."""
    return Problem(
        429,
        "too-many-failed-logins",
        str(refused),
        title="Too many failed sign-ins",
        headers={"Retry-After": str(refused.retry_after)},
    )
