"""Who may open a live connection, to which trials, from where in the log.

Three ways to prove who you are at the handshake:

- the browser's session cookie, only from an allowed Origin (the server's own, or one
  listed with ``--allow-origin``): a page on another site cannot open a socket riding on
  the user's cookie (cross-site websocket hijacking);
- ``?ticket=`` from ``POST /api/live/tickets``: single use, 30 seconds;
- ``Authorization: Bearer <API token>`` for clients that can send headers.

Every trial asked for must be one the user may read now; without ``trial`` the connection
listens to every trial the user may read. A user who must change their password first
is refused (403 ``password-change-required``), whichever credential they bring. A refused
handshake gets an HTTP problem+json answer instead of the upgrade.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.websockets import WebSocket

from rbac import Action
from server.accounts.users import User
from server.http.authentication import (
    SESSION_COOKIE,
    Principal,
    current_principal,
    require_settled_password,
)
from server.http.authorization import authorize
from server.http.identifiers import check_id
from server.http.numbers import whole_number
from server.http.problems import Problem
from server.services import Services

MAX_TRIALS = 50


@dataclass(frozen=True, slots=True)
class Admission:
    """What an accepted handshake established."""

    user: User
    trials: frozenset[str]
    after: int
    still_signed_in: Callable[[], Awaitable[bool]]
    session: str | None
    """The session cookie it was opened with (None for a ticket or token)."""
    token_id: str | None = None
    """The API token it was opened with, by its id (None for a session or ticket)."""


async def admit(websocket: WebSocket, services: Services) -> Admission:
    """The admission for this handshake, or a :class:`Problem` saying why not."""
    if services.live.failed:
        raise Problem(503, "live-feed-stopped", "the server stopped following the log")
    credentials = await _authenticate(websocket, services)
    user = credentials.user
    require_settled_password(user)
    trials = _trials(websocket, services, credentials)
    after = await _after(websocket, services)
    return Admission(
        user, trials, after, credentials.still_signed_in, credentials.session, credentials.token_id
    )


@dataclass(frozen=True, slots=True)
class _Credentials:
    user: User
    still_signed_in: Callable[[], Awaitable[bool]]
    session: str | None = None
    token_id: str | None = None

    @property
    def principal(self) -> Principal:
        return Principal(self.user, "token" if self.session is None else "session")


async def _authenticate(websocket: WebSocket, services: Services) -> _Credentials:
    """The user, how to re-check the credentials, and the session cookie or token id if
    one was used."""
    ticket = websocket.query_params.get("ticket")
    if ticket is not None:
        user_id = await services.live_tickets.redeem(ticket)
        user = await services.accounts.get(user_id) if user_id else None
        if user is None or user.disabled:
            raise _unauthenticated("the ticket is unknown, used or expired; ask for a new one")
        return _Credentials(user, _account_enabled(services, user.user_id))
    principal = await current_principal(websocket)
    if principal is None:
        raise _unauthenticated("sign in (session cookie), or bring a ticket or an API token")
    if principal.session is not None:
        _check_origin(websocket, services)
        cookie = websocket.cookies[SESSION_COOKIE]

        async def session_alive() -> bool:
            found = await services.sessions.resolve_with_user(cookie)
            return found is not None and not found[1].must_change_password

        return _Credentials(principal.user, session_alive, session=cookie)
    token = websocket.headers["authorization"].partition(" ")[2].strip()

    async def token_valid() -> bool:
        found = await services.tokens.resolve_token(token)
        return found is not None and not found[1].must_change_password

    return _Credentials(principal.user, token_valid, token_id=principal.token_id)


def _account_enabled(services: Services, user_id: str) -> Callable[[], Awaitable[bool]]:
    async def enabled() -> bool:
        user = await services.accounts.get(user_id)
        return user is not None and not user.disabled and not user.must_change_password

    return enabled


def _check_origin(websocket: WebSocket, services: Services) -> None:
    origin = websocket.headers.get("origin")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    own = f"{scheme}://{websocket.headers.get('host', '')}"
    if origin != own and origin not in services.settings.allowed_origins:
        raise Problem(
            403,
            "origin-not-allowed",
            f"a session may open a live connection only from {own} or an allowed origin;"
            f" this one came from {origin or 'no origin'}",
            title="Origin not allowed",
        )


def _trials(websocket: WebSocket, services: Services, credentials: _Credentials) -> frozenset[str]:
    principal = credentials.principal
    asked = websocket.query_params.getlist("trial")
    if len(asked) > MAX_TRIALS:
        raise Problem(400, "too-many-trials", f"listen to at most {MAX_TRIALS} trials at once")
    for trial in asked:
        check_id(trial, "trial")
        authorize(services, principal, trial, Action.READ)
    if asked:
        return frozenset(asked)
    user_id = principal.user.user_id
    readable = frozenset(
        entry.trial_id
        for entry in services.directory.trials_of(user_id)
        if services.authorizer.allows(user_id, entry.trial_id, Action.READ)
    )
    if not readable:
        raise Problem(403, "no-readable-trial", "you may read no trial yet", title="No trial")
    return readable


async def _after(websocket: WebSocket, services: Services) -> int:
    text = websocket.query_params.get("after")
    if text is None:
        return services.live.position
    head = await services.store.head_position()
    after = whole_number(text)
    if after is None or after > head:
        raise Problem(
            400,
            "bad-position",
            f"after is a position in the log, from 0 to the head ({head}); got {text[:40]!r}",
            title="No such position",
        )
    return after


def _unauthenticated(detail: str) -> Problem:
    return Problem(401, "unauthenticated", detail, title="Not signed in")
