"""Merkle proofs over HTTP: the tree's root at a size, an event's inclusion proof, and
the consistency proof between two sizes (RFC 9162 §2.1; events/merkle.py).

Who may ask: anyone signed in (a session or an API token), whatever their trials. A
proof is made of hashes only: the event's ``hash`` and the hashes of subtrees of the log,
never an event's content, its trial or its stream; what it tells is that *some* event
with this hash is at this position, which says nothing to whoever does not hold the event
(a trial's member holds it from the trial's export). The signed checkpoints those proofs
lead to are public already (``GET /api/log/checkpoint``). Sign-in keeps anonymous callers
from making the server hash for them; a witness runs with an API token.

Hashes are base64 (standard alphabet, padded), as C2SP checkpoints and tlog proofs write
them; ``event_hash`` stays the log's lower-case hex, as the log writes it. Each answer
carries the server's signed checkpoint of its tree size when the server has signed one
(``checkpoint``: the C2SP signed note, or null), so a proof can be checked offline
against the server's public key (``concord verify --proof``).

Sizes beyond the log, a position outside the tree, ``from`` > ``to`` and anything that
is not a decimal integer are refused with a 422 problem that names the rule. A size the
log has reached but the tree has not yet (it follows the log by milliseconds) is waited
for.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events.following import ProjectionFailed
from events.merkle_store import MerkleTree, TreeStopped
from server.audit.checkpoints import hash_at
from server.http.authentication import require_principal
from server.http.problems import Problem
from server.services import Services

TREE_PATH = "/api/log/tree"
INCLUSION_PATH = "/api/log/proofs/inclusion"
CONSISTENCY_PATH = "/api/log/proofs/consistency"
MAX_DIGITS = 18
"""Longer numbers are beyond any log (and beyond a PostgreSQL bigint)."""


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _number(request: Request, name: str, *, required: bool = True) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        if required:
            raise Problem(
                422, "missing-parameter", f"give ?{name}=N", title="A query parameter is missing"
            )
        return None
    if not text.isascii() or not text.isdigit() or len(text) > MAX_DIGITS:
        raise Problem(
            422,
            "malformed-parameter",
            f"{name} must be a whole number of at most {MAX_DIGITS} digits, not {text[:40]!r}",
            title="A query parameter is not a number",
        )
    return int(text)


def _refuse_unknown(request: Request, known: Iterable[str]) -> None:
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        raise Problem(
            422,
            "unknown-parameter",
            f"unexpected query parameters {unknown}; this route takes {sorted(known)}",
            title="An unknown query parameter",
        )


async def _reached(services: Services, size: int, what: str) -> MerkleTree:
    """The tree once it has ``size`` leaves; 422 when the log is shorter."""
    tree = services.merkle
    if size > tree.size:
        head = await services.store.head_position()
        if size > head:
            raise Problem(
                422,
                "beyond-the-log",
                f"{what} {size} is beyond the log, which has {head} events",
                title="A tree size beyond the log",
                log_size=head,
            )
        try:
            await tree.wait_for(size)
        except (TreeStopped, ProjectionFailed):
            raise Problem(
                503, "tree-stopped", "the Merkle tree stopped following the log"
            ) from None
    return tree


async def _begin(request: Request, known: Iterable[str]) -> Services:
    await require_principal(request)
    _refuse_unknown(request, known)
    services: Services = request.app.state.services
    return services


async def signed_note_of(services: Services, size: int) -> str | None:
    """The server's signed checkpoint (C2SP note) of tree size ``size``, if it signed one."""
    checkpoint = await services.checkpoints.note_of_size(size)
    return None if checkpoint is None else checkpoint.note


async def tree_view(request: Request) -> Response:
    """GET ``?size=M`` (default: the tree's current size): the tree's size and root."""
    services = await _begin(request, ["size"])
    size = _number(request, "size", required=False)
    if size is None:
        size = services.merkle.size
    tree = await _reached(services, size, "the tree size")
    return JSONResponse(
        {
            "tree_size": size,
            "root": b64(await tree.root(size)),
            "checkpoint": await signed_note_of(services, size),
        }
    )


async def inclusion_view(request: Request) -> Response:
    """GET ``?position=N&size=M`` (size default: the tree's current size): the audit path
    of the event at log position N (leaf N - 1) in the tree of the first M events."""
    services = await _begin(request, ["position", "size"])
    position = _number(request, "position")
    size = _number(request, "size", required=False)
    assert position is not None
    if size is None:
        size = max(services.merkle.size, position)
    if not 1 <= position <= size:
        raise Problem(
            422,
            "position-outside-the-tree",
            f"position {position} is not in the tree of size {size} (positions 1 to {size})",
            title="A position outside the tree",
        )
    tree = await _reached(services, size, "the tree size")
    event_hash = await hash_at(services.store, position)
    assert event_hash is not None  # the tree has reached it, so the log has it
    return JSONResponse(
        {
            "position": position,
            "tree_size": size,
            "event_hash": event_hash,
            "leaf_hash": b64(await tree.leaf(position)),
            "root": b64(await tree.root(size)),
            "proof": [b64(value) for value in await tree.inclusion(position, size)],
            "checkpoint": await signed_note_of(services, size),
        }
    )


async def consistency_view(request: Request) -> Response:
    """GET ``?from=N&to=M``: the proof that the tree of the first N events is a prefix of
    the tree of the first M (N <= M)."""
    services = await _begin(request, ["from", "to"])
    old, new = _number(request, "from"), _number(request, "to")
    assert old is not None
    assert new is not None
    if old > new:
        raise Problem(
            422,
            "sizes-reversed",
            f"from ({old}) must not be larger than to ({new}): a tree is a prefix of a larger one",
            title="The sizes are reversed",
        )
    tree = await _reached(services, new, "to")
    return JSONResponse(
        {
            "from": old,
            "to": new,
            "from_root": b64(await tree.root(old)),
            "to_root": b64(await tree.root(new)),
            "proof": [b64(value) for value in await tree.consistency(old, new)],
            "from_checkpoint": await signed_note_of(services, old),
            "to_checkpoint": await signed_note_of(services, new),
        }
    )


PROOF_ROUTES: list[Route] = [
    Route(TREE_PATH, tree_view, methods=["GET"]),
    Route(INCLUSION_PATH, inclusion_view, methods=["GET"]),
    Route(CONSISTENCY_PATH, consistency_view, methods=["GET"]),
]
"""For the app (server/app.py)."""

_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
_B64 = {"type": "string", "description": "base64 of a 32-byte SHA-256 hash"}
_NOTE = {
    "anyOf": [{"type": "string"}, {"type": "null"}],
    "description": "the server's signed checkpoint of that tree size (C2SP signed note),"
    " null when it has signed none",
}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(status): {"description": "A problem", "content": _PROBLEM} for status in statuses}


def _integer(name: str, description: str, *, required: bool) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", "pattern": f"^[0-9]{{1,{MAX_DIGITS}}}$"},
    }


def _get(operation: str, summary: str, parameters: list[Any], answer: dict[str, Any]) -> Any:
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": answer}}},
                **_problems(401, 403, 422, 503),
            },
        }
    }


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


PROOF_OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    TREE_PATH: _get(
        "merkle_tree",
        "The Merkle tree's root at a size (default: its current size); any signed-in user",
        [_integer("size", "the tree size (a number of log positions)", required=False)],
        _object({"tree_size": {"type": "integer"}, "root": _B64, "checkpoint": _NOTE}),
    ),
    INCLUSION_PATH: _get(
        "inclusion_proof",
        "The RFC 9162 inclusion proof of the event at a log position in the tree of a size"
        " (default: the current); hashes only; any signed-in user",
        [
            _integer("position", "the event's log position (leaf position - 1)", required=True),
            _integer("size", "the tree size", required=False),
        ],
        _object(
            {
                "position": {"type": "integer"},
                "tree_size": {"type": "integer"},
                "event_hash": {"type": "string", "description": "the event's hash, hex"},
                "leaf_hash": _B64,
                "root": _B64,
                "proof": {"type": "array", "items": _B64},
                "checkpoint": _NOTE,
            }
        ),
    ),
    CONSISTENCY_PATH: _get(
        "consistency_proof",
        "The RFC 9162 consistency proof that the tree of size from is a prefix of the tree"
        " of size to; hashes only; any signed-in user",
        [
            _integer("from", "the smaller tree size", required=True),
            _integer("to", "the larger tree size", required=True),
        ],
        _object(
            {
                "from": {"type": "integer"},
                "to": {"type": "integer"},
                "from_root": _B64,
                "to_root": _B64,
                "proof": {"type": "array", "items": _B64},
                "from_checkpoint": _NOTE,
                "to_checkpoint": _NOTE,
            }
        ),
    ),
}
"""For the OpenAPI document (server/http/openapi.py)."""
