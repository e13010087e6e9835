"""Who is asking: a session cookie (browser) or a bearer API token (scripts).

Unsafe methods on a cookie session must carry the session's CSRF token in
``X-CSRF-Token``; bearer tokens are not sent by browsers on their own, so they need none.

A user whose password was set by someone else (``must_change_password``) may do nothing
but change it (and see or end their session): every other request, read or write, over
HTTP or the live websocket, is refused with 403 ``password-change-required``.
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
PASSWORD_CHANGE_PATH = "/api/session/password"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user and how they proved it."""

    user: User
    via: Literal["session", "token"]
    session: Session | None = None
    token_id: str | None = None
    """The API token used (``via == "token"``), by its id."""

    @property
    def credential(self) -> dict[str, str]:
        """Which credential acted, for an event's meta: ``{"session_id": ...}`` or
        ``{"token_id": ...}`` (empty when neither is known)."""
        if self.session is not None:
            return {"session_id": self.session.session_id}
        if self.token_id is not None:
            return {"token_id": self.token_id}
        return {}


async def current_principal(request: HTTPConnection) -> Principal | None:
    """The caller, or None when the request (or websocket handshake) carries no valid
    credentials."""
    services: Services = request.app.state.services
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("use 'Authorization: Bearer <API token>'")
        found = await services.tokens.resolve_token(token.strip())
        if found is None:
            raise _unauthenticated("the API token is unknown, expired or revoked")
        token_id, user = found
        return Principal(user, "token", token_id=token_id)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    resolved = await services.sessions.resolve_with_user(cookie)
    if resolved is None:
        return None
    session, user = resolved
    return Principal(user, "session", session)


async def require_principal(
    request: Request, *, unsafe: bool = False, allow_pending_password_change: bool = False
) -> Principal:
    """The caller (401 otherwise); for an ``unsafe`` request on a session, the CSRF check.
    A caller who must change their password first is refused (403) unless
    ``allow_pending_password_change`` (the session itself and the password change)."""
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
    if not allow_pending_password_change:
        require_settled_password(principal.user)
    return principal


def require_settled_password(user: User) -> None:
    """Nothing but the password change for a user whose password someone else set: a
    403 ``password-change-required`` problem for them."""
    if user.must_change_password:
        raise Problem(
            403,
            "password-change-required",
            f"change your password first: POST {PASSWORD_CHANGE_PATH}",
            title="Password change required",
        )


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
