"""Your notification mails: ``GET /api/account/notifications`` (your choice, and whether
this server sends mail) and ``PUT`` ``{mode, email}`` (immediate, digest or off).

A person sets only their own. The address is kept beside the log, never in it, and goes
when the person's data is erased."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.http.authentication import require_principal
from server.http.json_body import read_json_object
from server.http.problems import Problem
from server.notifications.addresses import InvalidAddress
from server.notifications.preferences import NotificationMode, Preference
from server.notifications.tables import ADDRESS_MAX
from server.services import Services

NOTIFICATIONS_PATH = "/api/account/notifications"
_MODES = [mode.value for mode in NotificationMode]


def _view(services: Services, preference: Preference) -> dict[str, Any]:
    notifier = services.notifications
    return {
        "mode": preference.mode.value,
        "email": preference.email,
        "updated_at": None if preference.updated_at is None else preference.updated_at.isoformat(),
        "mail_enabled": notifier.sends_mail,
        "digest_hour_utc": notifier.digest_hour,
    }


async def your_notifications(request: Request) -> Response:
    """Your choice (off with no address until you make one)."""
    services: Services = request.app.state.services
    principal = await require_principal(request)
    preference = await services.notifications.preferences.of(principal.user.user_id)
    return JSONResponse(_view(services, preference))


async def choose_notifications(request: Request) -> Response:
    """``{mode, email}``: how you are told of what waits for you."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    body = await read_json_object(request)
    unknown = sorted(body.keys() - {"mode", "email"})
    if unknown:
        raise Problem(422, "unknown-fields", f"unexpected fields {unknown}; send mode and email")
    mode = body.get("mode")
    if mode not in _MODES:
        raise Problem(
            422,
            "invalid-notification-mode",
            f"mode must be one of {', '.join(_MODES)}, not {str(mode)[:40]!r}",
        )
    email = body.get("email")
    if email is not None and not isinstance(email, str):
        raise Problem(422, "invalid-email-address", "email must be a string (or null when off)")
    try:
        chosen = await services.notifications.choose(
            principal.user.user_id, NotificationMode(mode), email or None
        )
    except InvalidAddress as refused:
        raise Problem(422, "invalid-email-address", str(refused)) from None
    return JSONResponse(_view(services, chosen))


NOTIFICATION_ROUTES: list[BaseRoute] = [
    Route(NOTIFICATIONS_PATH, your_notifications, methods=["GET"]),
    Route(NOTIFICATIONS_PATH, choose_notifications, methods=["PUT"]),
]

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_CHOICE = {
    "type": "object",
    "properties": {
        "mode": {"type": "string", "enum": _MODES},
        "email": {"anyOf": [{"type": "string", "maxLength": ADDRESS_MAX}, {"type": "null"}]},
        "updated_at": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        "mail_enabled": {"type": "boolean", "description": "Whether this server sends mail"},
        "digest_hour_utc": {
            "anyOf": [{"type": "integer", "minimum": 0, "maximum": 23}, {"type": "null"}]
        },
    },
    "required": ["mode", "email", "updated_at", "mail_enabled", "digest_hour_utc"],
}


def _json(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _CHOICE}}}


NOTIFICATION_OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    NOTIFICATIONS_PATH: {
        "get": {
            "operationId": "your_notifications",
            "summary": "Your choice of notification mails, and whether this server sends mail",
            "parameters": [],
            "responses": {"200": _json("OK"), "401": _PROBLEM, "403": _PROBLEM},
        },
        "put": {
            "operationId": "choose_notifications",
            "summary": "Choose immediate mails, a daily digest or none, and your address",
            "parameters": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "mode": {"type": "string", "enum": _MODES},
                                "email": {
                                    "anyOf": [
                                        {"type": "string", "maxLength": ADDRESS_MAX},
                                        {"type": "null"},
                                    ]
                                },
                            },
                            "required": ["mode"],
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "200": _json("Chosen"),
                **{str(status): _PROBLEM for status in (400, 401, 403, 413, 415, 422)},
            },
        },
    }
}
"""The notification routes' entries in the OpenAPI document."""
