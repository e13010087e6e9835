"""The routes witnesses use: the latest checkpoint, and posting a cosignature.

Both are open to anyone, signed in or not: a checkpoint is meant to be published, and a
cosignature is its own credential (it must verify with the key a trial's charter names
for that witness, or nothing is stored).
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.audit.signed_note import parse_checkpoint_text, parse_note
from server.audit.signing import Checkpoint
from server.audit.witnesses import Cosignatures
from server.http.json_body import read_json_object
from server.http.problems import Problem
from server.services import Services

CHECKPOINT_PATH = "/api/log/checkpoint"
COSIGNATURES_PATH = "/api/log/checkpoints/{size}/cosignatures"
MAX_COSIGNATURE_BYTES = 4096


def _cosignatures(services: Services) -> Cosignatures:
    return Cosignatures(services.store, services.checkpoints.engine, services.clock)


async def checkpoint_view(services: Services, checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint's signed note with every stored cosignature's line appended."""
    assert checkpoint.note is not None
    body = parse_checkpoint_text(parse_note(checkpoint.note).text)
    cosigned = await _cosignatures(services).recorded(checkpoint.position)
    lines = "".join(c.note_signature().line() for c in cosigned)
    return {
        "origin": body.origin,
        "tree_size": body.size,
        "root": base64.b64encode(body.root).decode(),
        "signed_at": checkpoint.signed_at,
        "note": checkpoint.note + lines,
        "cosigned_by": [c.witness for c in cosigned],
        "public_key": services.checkpoints.key.public_key_pem(),
    }


async def latest_checkpoint(request: Request) -> Response:
    """GET: the latest signed checkpoint as a C2SP note, with its cosignatures."""
    services: Services = request.app.state.services
    checkpoint = await services.checkpoints.latest_note()
    if checkpoint is None:
        raise Problem(
            404,
            "no-checkpoint",
            "the server has signed no checkpoint of the Merkle tree yet (concord serve signs"
            " one every --checkpoint-minutes, and every export signs one)",
        )
    return JSONResponse(await checkpoint_view(services, checkpoint))


async def post_cosignature(request: Request) -> Response:
    """POST ``{"cosignature": "— <name> <base64>"}``: a witness's cosignature of the
    checkpoint of tree size ``size``; 201 once stored."""
    services: Services = request.app.state.services
    size_text = request.path_params["size"]
    if not size_text.isascii() or not size_text.isdigit() or len(size_text) > 18:
        raise Problem(422, "malformed-size", f"the tree size {size_text!r} is not a number")
    body = await read_json_object(request, max_bytes=MAX_COSIGNATURE_BYTES)
    unknown = sorted(body.keys() - {"cosignature"})
    if unknown:
        raise Problem(422, "unknown-fields", f"unexpected fields {unknown}; send cosignature")
    line = body.get("cosignature")
    if not isinstance(line, str) or not line:
        raise Problem(
            422, "invalid-body", "cosignature must be a note signature line: — <name> <base64>"
        )
    checkpoint = await services.checkpoints.note_of_size(int(size_text))
    if checkpoint is None:
        raise Problem(
            404, "no-checkpoint", f"the server has signed no checkpoint of tree size {size_text}"
        )
    stored = await _cosignatures(services).add(checkpoint, line)
    return JSONResponse(
        {"tree_size": stored.tree_size, "witness": stored.witness, "timestamp": stored.timestamp},
        status_code=201,
    )


WITNESS_ROUTES: list[Route] = [
    Route(CHECKPOINT_PATH, latest_checkpoint, methods=["GET"]),
    Route(COSIGNATURES_PATH, post_cosignature, methods=["POST"]),
]
"""For the app (server/app.py)."""

_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(status): {"description": "A problem", "content": _PROBLEM} for status in statuses}


_CHECKPOINT = {
    "type": "object",
    "properties": {
        "origin": {"type": "string"},
        "tree_size": {"type": "integer"},
        "root": {"type": "string", "description": "base64 of the Merkle root"},
        "signed_at": {"type": "string"},
        "note": {"type": "string", "description": "the C2SP checkpoint, cosignatures included"},
        "cosigned_by": {"type": "array", "items": {"type": "string"}},
        "public_key": {"type": "string", "description": "the server's Ed25519 key, PEM"},
    },
    "required": ["origin", "tree_size", "root", "signed_at", "note", "cosigned_by", "public_key"],
}

WITNESS_OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    CHECKPOINT_PATH: {
        "get": {
            "operationId": "latest_checkpoint",
            "summary": "The latest signed checkpoint of the log's Merkle tree (C2SP"
            " tlog-checkpoint), with the cosignatures witnesses posted; open to anyone",
            "security": [],
            "parameters": [],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": _CHECKPOINT}},
                },
                **_problems(404),
            },
        }
    },
    COSIGNATURES_PATH: {
        "post": {
            "operationId": "post_cosignature",
            "summary": "A witness's cosignature (C2SP tlog-cosignature, Ed25519) of the"
            " checkpoint of this tree size; stored only if it verifies with the key a"
            " trial's charter names for the witness",
            "security": [],
            "parameters": [
                {
                    "name": "size",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"cosignature": {"type": "string", "minLength": 1}},
                            "required": ["cosignature"],
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "Stored",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                **_problems(400, 403, 404, 409, 413, 415, 422),
            },
        }
    },
}
"""For the OpenAPI document (server/http/openapi.py)."""
