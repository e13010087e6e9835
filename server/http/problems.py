"""RFC 9457 problem details: every error a client sees is ``application/problem+json``.

Handlers raise :class:`Problem` (or let a domain error or a command service's error
escape); the app's exception handlers turn each into a response with a stable ``type``
URI, a ``title`` that names the rule and a ``detail`` that says how this request broke
it. The two tables below are the only place those errors meet HTTP statuses. Nothing was
changed when a problem is returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from domain import errors as domain_errors
from server.commands import errors as command_errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "https://concord.example/problems/"

_DOMAIN_STATUS: tuple[tuple[type[domain_errors.DomainError], int], ...] = (
    (domain_errors.NotFound, 404),
    (domain_errors.AlreadyExists, 409),
    (domain_errors.InvalidCommand, 422),
    (domain_errors.NotPermitted, 403),
    (domain_errors.WrongState, 409),
)

_COMMAND_PROBLEMS: tuple[tuple[type[command_errors.CommandNotRecorded], int, str, str], ...] = (
    (command_errors.StaleVersion, 412, "stale-version", "The resource changed since you loaded it"),
    (command_errors.ConcurrentChange, 409, "concurrent-change", HTTPStatus.CONFLICT.phrase),
    (command_errors.IdempotencyKeyReused, 422, "idempotency-key-reused", "Idempotency key reused"),
    (command_errors.ValueNotRecordable, 422, "value-not-recordable", "A value cannot be recorded"),
    (command_errors.StateWarmingUp, 503, "state-warming-up", "Still reading the log"),
)
"""Status, kind and title of each refusal of the command service's own."""

WARMING_UP_RETRY_AFTER = 5
"""Seconds a client is asked to wait while a state is read from the log."""


class Problem(Exception):
    """A client-facing error: status, a short kebab-case ``kind`` and a detail."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem details object (RFC 9457) for this problem."""
        body: dict[str, Any] = {
            "type": _TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body

    def response(self, instance: str | None = None) -> Response:
        """The problem+json response for this problem."""
        return Response(
            json.dumps(self.body(instance), ensure_ascii=False),
            status_code=self.status,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=self.headers,
        )


def from_domain_error(error: domain_errors.DomainError) -> Problem:
    """The problem for a refused command: status by the error's family, title by its rule."""
    status = next((code for family, code in _DOMAIN_STATUS if isinstance(error, family)), 422)
    kind = _kebab(type(error).__name__)
    return Problem(status, kind, str(error), title=error.title(), rule=type(error).__name__)


def from_command_error(error: command_errors.CommandNotRecorded) -> Problem:
    """The problem for a command the service did not record."""
    status, kind, title = next(
        (status, kind, title)
        for family, status, kind, title in _COMMAND_PROBLEMS
        if isinstance(error, family)
    )
    extensions: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(error, command_errors.StaleVersion):
        extensions["current_version"] = error.current
    if isinstance(error, command_errors.StateWarmingUp):
        headers["Retry-After"] = str(WARMING_UP_RETRY_AFTER)
        extensions["folded"] = error.folded
    return Problem(status, kind, str(error), title=title, headers=headers, **extensions)


def _kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


async def problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response(request.url.path)


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, domain_errors.DomainError)
    return from_domain_error(exc).response(request.url.path)


async def command_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, command_errors.CommandNotRecorded)
    return from_command_error(exc).response(request.url.path)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown route, wrong method) as problems too."""
    assert isinstance(exc, HTTPException)
    kind = _kebab(HTTPStatus(exc.status_code).phrase.replace(" ", ""))
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = f"nothing is at {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return Problem(exc.status_code, kind, detail, headers=exc.headers).response(request.url.path)
