"""The OpenAPI 3.1 document, generated from the route tables the app is built from."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from domain.roles import OrganizationKind
from domain.workspace import CreateTrial
from server.audit.proof_routes import PROOF_OPENAPI_PATHS
from server.audit.witness_routes import WITNESS_OPENAPI_PATHS
from server.http.account_openapi import ERASURE_OPENAPI_PATHS
from server.http.account_routes import ACCOUNT_OPENAPI_PATHS
from server.http.command_fields import (
    Source,
    body_fields,
    command_fields,
    needs_password,
    path_parameters,
)
from server.http.command_routes import COMMAND_ROUTES
from server.http.founding import SERVER_FIELDS
from server.http.idempotency_header import HEADER as IDEMPOTENCY_KEY
from server.http.idempotency_header import KEY_PATTERN, REPLAYED_HEADER
from server.http.identifiers import BODY_IDS, ID_PATTERN
from server.http.invitations import INVITEE_ROUTES
from server.http.json_schema import SchemaBuilder, required_fields
from server.http.numbers import MAX_DIGITS
from server.http.query_routes import QueryRoute
from server.http.request_id import HEADER as REQUEST_ID
from server.http.request_id import MAX_LENGTH as REQUEST_ID_LENGTH
from server.http.request_id import PATTERN as REQUEST_ID_PATTERN
from server.http.token_routes import TOKEN_OPENAPI_PATHS

_ID = {"type": "string", "pattern": f"^{ID_PATTERN.pattern}$"}
_TEXT = {"type": "string", "minLength": 1}
_PROBLEM = {"$ref": "#/components/responses/Problem"}
_OUTCOME = {
    "description": "What the command recorded; ETag: the target's new stream version",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandOutcome"}}},
}
_JSON = {"description": "OK", "content": {"application/json": {"schema": {}}}}
_NO_CONTENT = {"description": "Done"}
_WHOLE_NUMBER = {"type": "string", "pattern": f"^[0-9]{{1,{MAX_DIGITS}}}$"}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag you read (the stream's version): a stale change is 412",
    "schema": {"type": "string", "pattern": f'^(\\*|(W/)?"[0-9]{{1,{MAX_DIGITS}}}")$'},
}
_REQUEST_ID = {
    "name": REQUEST_ID,
    "in": "header",
    "required": False,
    "description": f"Your id for this request (1-{REQUEST_ID_LENGTH} visible ASCII characters,"
    " such as a UUID), recorded in the meta of each event it causes; without it the server"
    " makes one up; anything else is 400 malformed-request-id",
    "schema": {"type": "string", "pattern": f"^{REQUEST_ID_PATTERN}$"},
}
_IDEMPOTENCY_KEY = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": False,
    "description": "Your key for this request (1-200 visible ASCII characters), scoped to"
    " you: a retry with the same key and the same request gets the first answer again"
    f" ({REPLAYED_HEADER}: true) and records nothing; the key with another request is 422"
    " idempotency-key-reused; a refused request leaves the key unused.",
    "schema": {"type": "string", "pattern": f"^{KEY_PATTERN}$"},
}
_REPLAYED = {
    REPLAYED_HEADER: {
        "description": "Present (true) when the answer is the one an earlier request with"
        " the same Idempotency-Key got",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
_KEYED_OUTCOME = {**_OUTCOME, "headers": _REPLAYED}
_WRITE_PROBLEMS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 429)


def keyed_write_parameters() -> list[dict[str, Any]]:
    """The headers every write outside the command table takes too: Idempotency-Key and
    X-Request-ID (as the command routes describe them)."""
    return [dict(_IDEMPOTENCY_KEY), dict(_REQUEST_ID)]


def keyed_outcome() -> dict[str, Any]:
    """A write's answer (events, position, version), with the replay header."""
    return dict(_KEYED_OUTCOME)


def _operation(
    name: str,
    summary: str,
    responses: dict[str, Any],
    problems: tuple[int, ...],
    *,
    path: str = "",
    body: dict[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": name, "summary": summary, **more}
    parameters = [
        {"name": p, "in": "path", "required": True, "schema": _ID} for p in path_parameters(path)
    ]
    operation["parameters"] = parameters + operation.get("parameters", [])
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    operation["responses"] = {**responses, **{str(status): _PROBLEM for status in problems}}
    return operation


def _closed_object(**properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def _founding_body(builder: SchemaBuilder) -> dict[str, Any]:
    server_filled = {"actor", *SERVER_FIELDS}
    hints = typing.get_type_hints(CreateTrial).items()
    fields = {n: h for n, h in hints if n not in server_filled}
    fields |= {"organization_id": str, "organization_kind": OrganizationKind}
    required = required_fields(CreateTrial, set(fields)) | {"organization_id", "organization_kind"}
    body = builder.object_of(fields, required)
    body["properties"]["organization_id"] = _ID
    body["properties"]["trial_id"] = _ID
    return body


def _account_paths(builder: SchemaBuilder) -> dict[str, dict[str, Any]]:
    return {
        "/api/session": {
            "post": _operation(
                "sign_in",
                "Sign in (sets the session cookie)",
                {"200": _JSON},
                (400, 401, 413, 415, 422, 429),
                body=_closed_object(username=_TEXT, password=_TEXT),
                security=[],
            ),
            "get": _operation(
                "current_session", "Who you are, and your CSRF token", {"200": _JSON}, (401,)
            ),
            "delete": _operation("sign_out", "Sign out", {"204": _NO_CONTENT}, (401, 403)),
        },
        "/api/session/password": {
            "post": _operation(
                "change_password",
                "Change your own password (the current one re-entered); every session of the"
                " account ends and you get a new one",
                {"200": _JSON},
                (400, 401, 403, 413, 415, 422, 429),
                body=_closed_object(current_password=_TEXT, new_password=_TEXT),
            ),
        },
        "/api/live": {
            "get": _operation(
                "live_updates",
                "Live updates: a websocket (docs/live.md); without the WebSocket handshake,"
                " 426 Upgrade Required",
                {"101": {"description": "Switching to the websocket protocol"}},
                (426,),
            ),
        },
        "/api/live/tickets": {
            "post": _operation(
                "issue_live_ticket",
                "A single-use ticket for opening the live websocket (/api/live) within 30 seconds",
                {"201": _JSON},
                (401, 403),
            ),
        },
        "/api/trials": {
            "post": _operation(
                "create_trial",
                "Found a trial; you become its first trial admin",
                {"201": _KEYED_OUTCOME},
                _WRITE_PROBLEMS,
                body=_founding_body(builder),
                description="Send an Idempotency-Key to retry safely.",
                parameters=[_IDEMPOTENCY_KEY, _REQUEST_ID],
            ),
        },
    }


def openapi_document(read_routes: Sequence[QueryRoute]) -> dict[str, Any]:
    """Every route of the API, with request schemas derived from the domain's commands."""
    builder = SchemaBuilder()
    paths: dict[str, dict[str, Any]] = {}
    for route in COMMAND_ROUTES:
        fields = body_fields(route)
        new_ids = {name for name, source in route.sources.items() if source is Source.NEW_ID}
        required = required_fields(route.command, set(fields)) - new_ids
        if needs_password(route):
            fields, required = {**fields, "password": str}, required | {"password"}
        body = builder.object_of(fields, required)
        for name in new_ids | (BODY_IDS & body["properties"].keys()):
            body["properties"][name] = _ID
        if needs_password(route):
            body["properties"]["password"] = _TEXT
        operation = _operation(
            route.name,
            route.summary,
            {"201" if route.created else "200": _KEYED_OUTCOME},
            _WRITE_PROBLEMS,
            path=route.path,
            body=body,
            description=f"Needs `{route.action.value}` in the trial. Send If-Match with the"
            " ETag you read to refuse a stale change (412), and an Idempotency-Key to retry"
            " safely.",
            parameters=[_IF_MATCH, _IDEMPOTENCY_KEY, _REQUEST_ID],
        )
        hints = command_fields(route)
        for parameter in operation["parameters"]:
            if parameter["in"] == "path" and hints.get(parameter["name"]) is int:
                parameter["schema"] = _WHOLE_NUMBER
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    for query in read_routes:
        answer = {"description": "OK", "content": {query.media_type: {"schema": {}}}}
        paths.setdefault(query.path, {})["get"] = _operation(
            query.name,
            query.summary,
            {"200": answer},
            (401, 403, 404, 422),
            path=query.path,
            parameters=[
                {"name": name, "in": "query", "required": False, "description": text}
                | {"schema": {"type": "string"}}
                for name, text in query.query.items()
            ],
        )
    for invitee in INVITEE_ROUTES:
        paths.setdefault(invitee.path, {})["post"] = _operation(
            invitee.name,
            invitee.summary,
            {"200": _KEYED_OUTCOME},
            _WRITE_PROBLEMS,
            path=invitee.path,
            body=builder.object_of(invitee.body, set()),
            description="Needs no role: only the account the invitation is addressed to may"
            " answer it (others are refused, 403). Send an Idempotency-Key to retry safely.",
            parameters=[_IDEMPOTENCY_KEY, _REQUEST_ID],
        )
    fixed_paths = (
        TOKEN_OPENAPI_PATHS,
        ACCOUNT_OPENAPI_PATHS,
        ERASURE_OPENAPI_PATHS,
        WITNESS_OPENAPI_PATHS,
        PROOF_OPENAPI_PATHS,
    )
    for fixed in (_account_paths(builder), *fixed_paths):
        for path, operations in fixed.items():
            paths.setdefault(path, {}).update(operations)
    builder.components["CommandOutcome"] = {
        "type": "object",
        "properties": {
            "position": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "version": {"type": "integer"},
            "events": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["position", "version", "events"],
    }
    builder.components["Problem"] = {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
        },
        "required": ["type", "title", "status", "detail"],
    }
    problem_content = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Concord",
            "version": "1",
            "description": "Clinical-trial protocols, written and governed together.",
        },
        "paths": paths,
        "components": {
            "schemas": builder.components,
            "responses": {
                "Problem": {
                    "description": "RFC 9457 problem details; nothing was changed",
                    "content": {"application/problem+json": problem_content},
                }
            },
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "concord_session"},
            },
        },
        "security": [{"token": []}, {"session": []}],
    }
