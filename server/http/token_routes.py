"""Your API tokens: ``GET /api/tokens`` (list), ``POST /api/tokens`` (issue, shown once),
``DELETE /api/tokens/{token_id}`` (revoke).

Each user manages their own tokens only. Issuing and revoking are recorded in the user's
account stream (``ApiTokenIssued``, ``ApiTokenRevoked``) with the request's meta (who,
through which session or token, the request id), never the secret.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.accounts.tokens import MAX_LIFETIME, ApiTokenInfo
from server.accounts.users import UnknownUser, UserDisabled
from server.http.authentication import require_principal
from server.http.command_endpoint import request_meta
from server.http.identifiers import ID_PATTERN
from server.http.json_body import read_json_object
from server.http.problems import Problem
from server.http.request_id import HEADER as REQUEST_ID
from server.http.request_id import MAX_LENGTH as REQUEST_ID_LENGTH
from server.http.request_id import PATTERN as REQUEST_ID_PATTERN
from server.services import Services

TOKENS_PATH = "/api/tokens"
TOKEN_PATH = "/api/tokens/{token_id}"
MAX_LIFETIME_DAYS = MAX_LIFETIME.days
"""The most ``lifetime_days`` the API documents (the server's default maximum)."""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def token_view(info: ApiTokenInfo) -> dict[str, Any]:
    """One token as the API shows it (never the secret)."""
    return {
        "token_id": info.token_id,
        "name": info.name,
        "created_at": _iso(info.created_at),
        "expires_at": _iso(info.expires_at),
        "last_used_at": _iso(info.last_used_at),
        "revoked_at": _iso(info.revoked_at),
    }


async def list_tokens(request: Request) -> Response:
    """Your tokens, oldest first, revoked and expired ones included."""
    services: Services = request.app.state.services
    principal = await require_principal(request)
    tokens = await services.tokens.list_for(principal.user.user_id)
    return JSONResponse([token_view(info) for info in tokens])


async def issue_token(request: Request) -> Response:
    """A new token for you: ``{name, lifetime_days?}`` -> 201 with the secret, once."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    meta = request_meta(request, principal)
    body = await read_json_object(request)
    unknown = sorted(body.keys() - {"name", "lifetime_days"})
    if unknown:
        raise Problem(
            422, "unknown-fields", f"unexpected fields {unknown}; send name and lifetime_days"
        )
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise Problem(422, "invalid-body", "name must be a non-empty string")
    lifetime = _lifetime(body.get("lifetime_days"), services.tokens.max_lifetime.days)
    try:
        issued = await services.tokens.issue(
            principal.user.user_id, name, lifetime=lifetime, meta=meta
        )
    except (UnknownUser, UserDisabled):
        raise Problem(403, "account-disabled", "your account is disabled") from None
    except ValueError as refused:  # the name
        raise Problem(422, "invalid-body", str(refused)) from None
    return JSONResponse(
        {
            "token_id": issued.token_id,
            "name": issued.name,
            "expires_at": issued.expires_at.isoformat(),
            "token": issued.token,
        },
        status_code=201,
    )


def _lifetime(days: Any, maximum: int) -> timedelta | None:
    """``lifetime_days`` as a lifetime (None: the default), or a 422 problem."""
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int):
        raise Problem(
            422,
            "invalid-token-lifetime",
            f"lifetime_days must be a whole number of days, not {str(days)[:40]!r}",
        )
    if not 1 <= days <= maximum:
        raise Problem(
            422,
            "invalid-token-lifetime",
            f"a token lives from 1 to {maximum} days; lifetime_days {days} is outside that",
        )
    return timedelta(days=days)


async def revoke_token(request: Request) -> Response:
    """Revoke one of your tokens for good (404 if you have no such token, or it is
    revoked already); the live connections it opened here close at once."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    meta = request_meta(request, principal)
    token_id = str(request.path_params["token_id"])
    user_id = principal.user.user_id
    if not await services.tokens.revoke(user_id, token_id, revoked_by=user_id, meta=meta):
        raise Problem(404, "token-not-found", f"you have no API token {token_id[:80]!r} that works")
    services.live.end_token(token_id)
    return Response(status_code=204)


TOKEN_ROUTES: list[BaseRoute] = [
    Route(TOKENS_PATH, list_tokens, methods=["GET"]),
    Route(TOKENS_PATH, issue_token, methods=["POST"]),
    Route(TOKEN_PATH, revoke_token, methods=["DELETE"]),
]

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_MOMENT = {"type": "string", "format": "date-time"}
_MAYBE_MOMENT = {"anyOf": [_MOMENT, {"type": "null"}]}
_REQUEST_ID_PARAMETER = {
    "name": REQUEST_ID,
    "in": "header",
    "required": False,
    "description": f"Your id for this request (1-{REQUEST_ID_LENGTH} visible ASCII"
    " characters), recorded in the meta of the account event it causes",
    "schema": {"type": "string", "pattern": f"^{REQUEST_ID_PATTERN}$"},
}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(status): _PROBLEM for status in statuses}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_TOKEN = {
    "type": "object",
    "properties": {
        "token_id": {"type": "string"},
        "name": {"type": "string"},
        "created_at": _MOMENT,
        "expires_at": _MAYBE_MOMENT,
        "last_used_at": _MAYBE_MOMENT,
        "revoked_at": _MAYBE_MOMENT,
    },
    "required": ["token_id", "name", "created_at", "expires_at", "last_used_at", "revoked_at"],
}
_ISSUED = {
    "type": "object",
    "properties": {
        "token_id": {"type": "string"},
        "name": {"type": "string"},
        "expires_at": _MOMENT,
        "token": {"type": "string", "description": "The secret: shown this once only"},
    },
    "required": ["token_id", "name", "expires_at", "token"],
}

TOKEN_OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    TOKENS_PATH: {
        "get": {
            "operationId": "list_tokens",
            "summary": "Your API tokens, revoked and expired ones included (never the secrets)",
            "parameters": [],
            "responses": {
                "200": _json("OK", {"type": "array", "items": _TOKEN}),
                **_problems(401, 403),
            },
        },
        "post": {
            "operationId": "issue_token",
            "summary": "Issue an API token (the secret is shown once); it expires after"
            " lifetime_days (default 90, at most 365)",
            "parameters": [_REQUEST_ID_PARAMETER],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string", "minLength": 1},
                                "lifetime_days": {
                                    "type": "integer",
                                    "minimum": 1,
                                    "maximum": MAX_LIFETIME_DAYS,
                                },
                            },
                            "required": ["name"],
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "201": _json("Issued", _ISSUED),
                **_problems(400, 401, 403, 413, 415, 422),
            },
        },
    },
    TOKEN_PATH: {
        "delete": {
            "operationId": "revoke_token",
            "summary": "Revoke one of your API tokens for good",
            "parameters": [
                {
                    "name": "token_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": f"^{ID_PATTERN.pattern}$"},
                },
                _REQUEST_ID_PARAMETER,
            ],
            "responses": {"204": {"description": "Done"}, **_problems(400, 401, 403, 404)},
        },
    },
}
"""The token routes' entries in the OpenAPI document."""
