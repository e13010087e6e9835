"""The Starlette application: every room's routes from their tables, problem+json for
every error.

The HTTP layer (``server/http``) knows commands, reads and accounts; the live feed
(``server/live``) and the audit (``server/audit``) build on it. This module, like the
composition root, sees them all and puts their routes into one app and one OpenAPI
document."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp

from domain.errors import DomainError
from events.following import ProjectionFailed
from rbac import AuthorizerStopped
from server.audit.proof_routes import PROOF_ROUTES
from server.audit.routes import AUDIT_ROUTES
from server.audit.site_routes import SITE_ROUTES
from server.audit.witness_routes import WITNESS_ROUTES
from server.coediting.routes import (
    PROPOSAL_PATH,
    REVISIONS_PATH,
    TEXT_ROUTES,
    propose_text,
    record_revision,
    recording_openapi_paths,
)
from server.commands.errors import CommandNotRecorded
from server.formats.document_routes import DOCUMENT_ROUTES
from server.formats.usdm_routes import IMPORT_PATH, USDM_ROUTES, import_openapi_paths, import_usdm
from server.http import session_routes
from server.http.account_routes import ACCOUNT_ROUTES
from server.http.body_deadline import DEFAULT_BODY_TIMEOUT_SECONDS, BodyDeadline, client_went_away
from server.http.command_endpoint import endpoint_for
from server.http.command_routes import COMMAND_ROUTES
from server.http.erasure_routes import ERASURE_ROUTES
from server.http.founding import create_trial
from server.http.invitations import INVITEE_ROUTES, invitee_endpoint
from server.http.openapi import openapi_document
from server.http.problems import (
    Problem,
    command_error_handler,
    domain_error_handler,
    http_exception_handler,
    problem_handler,
)
from server.http.query_routes import QUERY_ROUTES, QueryRoute, endpoint_for_query
from server.http.security_headers import SecurityHeaders
from server.http.starting_up import STARTUP_GRACE_SECONDS, UntilReady, opened_in_background
from server.http.token_routes import TOKEN_ROUTES
from server.http.web import web_mount
from server.inbox.routes import INBOX_ROUTES
from server.live.endpoint import LIVE_PATH, issue_ticket, live, websocket_required
from server.notifications.routes import NOTIFICATION_OPENAPI_PATHS, NOTIFICATION_ROUTES
from server.services import Services

logger = logging.getLogger(__name__)

READ_ROUTES: tuple[QueryRoute, ...] = (
    QUERY_ROUTES
    + TEXT_ROUTES
    + AUDIT_ROUTES
    + SITE_ROUTES
    + DOCUMENT_ROUTES
    + USDM_ROUTES
    + INBOX_ROUTES
)
"""Every read over HTTP: the trial's current state, its past, and the protocol's documents."""


def api_routes() -> list[BaseRoute]:
    """Every route of the API (the OpenAPI document describes exactly these)."""
    routes: list[BaseRoute] = [
        Route("/api/session", session_routes.sign_in, methods=["POST"]),
        Route("/api/session", session_routes.current_session, methods=["GET"]),
        Route("/api/session", session_routes.sign_out, methods=["DELETE"]),
        Route("/api/session/password", session_routes.change_password, methods=["POST"]),
        Route("/api/trials", create_trial, methods=["POST"]),
        Route(IMPORT_PATH, import_usdm, methods=["POST"]),
        Route(REVISIONS_PATH, record_revision, methods=["POST"]),
        Route(PROPOSAL_PATH, propose_text, methods=["POST"]),
        Route(LIVE_PATH + "/tickets", issue_ticket, methods=["POST"]),
        Route(LIVE_PATH, websocket_required, methods=["GET"]),
    ]
    routes += TOKEN_ROUTES
    routes += NOTIFICATION_ROUTES
    routes += ACCOUNT_ROUTES
    routes += ERASURE_ROUTES
    routes += WITNESS_ROUTES
    routes += PROOF_ROUTES
    routes += [Route(q.path, endpoint_for_query(q), methods=["GET"]) for q in READ_ROUTES]
    routes += [Route(c.path, endpoint_for(c), methods=[c.method]) for c in COMMAND_ROUTES]
    routes += [Route(i.path, invitee_endpoint(i), methods=["POST"]) for i in INVITEE_ROUTES]
    return routes


async def _openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


async def _projection_stopped(request: Request, exc: Exception) -> Response:
    logger.error("a projection stopped; refusing to answer from stale state: %s", exc)
    problem = Problem(
        503,
        "projection-stopped",
        "the server stopped following the log and will not decide from stale state;"
        " it needs a restart",
        headers={"Retry-After": "30"},
    )
    return problem.response(request.url.path)


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    problem = Problem(500, "internal-error", "the server failed; nothing you sent was half-applied")
    return problem.response(request.url.path)


class _Guarded(Starlette):
    """Starlette with three guards outside all of it, its error handling included: the
    security headers on every answer (500s too), the deadline for request bodies, and
    the API's 503 while the services are still opening."""

    body_timeout: float = DEFAULT_BODY_TIMEOUT_SECONDS

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        return SecurityHeaders(BodyDeadline(UntilReady(inner), seconds=self.body_timeout))


def create_app(
    open_services: Callable[[], AbstractAsyncContextManager[Services]],
    *,
    body_timeout: float = DEFAULT_BODY_TIMEOUT_SECONDS,
    startup_grace: float = STARTUP_GRACE_SECONDS,
) -> Starlette:
    """The app; ``open_services`` opens (and on shutdown closes) everything it serves from,
    in the background after ``startup_grace`` seconds (the API answers 503 until then); a
    request's body must arrive within ``body_timeout`` seconds (else 408)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        def opened(services: Services) -> None:
            app.state.services = services

        async with opened_in_background(open_services, opened, grace=startup_grace):
            yield

    app = _Guarded(
        routes=[
            Route("/openapi.json", _openapi, methods=["GET"]),
            WebSocketRoute(LIVE_PATH, live),
            *api_routes(),
            web_mount(),
        ],
        exception_handlers={
            Problem: problem_handler,
            DomainError: domain_error_handler,
            CommandNotRecorded: command_error_handler,
            HTTPException: http_exception_handler,
            ClientDisconnect: client_went_away,
            AuthorizerStopped: _projection_stopped,
            ProjectionFailed: _projection_stopped,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.body_timeout = body_timeout
    app.state.openapi = openapi_document(READ_ROUTES)
    app.state.openapi["paths"].update(import_openapi_paths())
    app.state.openapi["paths"].update(recording_openapi_paths())
    app.state.openapi["paths"].update(NOTIFICATION_OPENAPI_PATHS)
    return app
