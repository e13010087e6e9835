"""USDM over HTTP: a trial's export (a read like the others) and the import of a file.

- ``GET /api/trials/{trial_id}/usdm?version=N|at=POSITION|time=ISO`` (``trial:read``,
  a :class:`QueryRoute`): the trial as a USDM v4 ``Wrapper``, built off the event loop.
- ``POST /api/imports/usdm?trial_id=...&organization_id=...&organization_kind=...`` with the
  file as the body (``application/json``): found a trial from it. Whoever holds the system
  role ``trial_creator`` may, as for any founding; they become its first trial admin, with
  the training a system administrator attested for their account. One import is
  read at a time per process (others wait their turn). A refused file is
  problem+json (413 too large, 415 not JSON's media type, 422 not JSON, nested too deep
  or not valid USDM v4, with ``errors``: the validator's first errors as path and
  message) and nothing is recorded.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.actor import Actor
from domain.roles import OrganizationKind
from domain.streams import StreamKind
from rbac import Action
from server.accounts.account_training import founder_training
from server.audit.moment import position_of, whole_number
from server.audit.served_history import streams_of, trial_at
from server.formats.usdm_export import usdm_json
from server.formats.usdm_import import MAX_FILE_BYTES, ImportRefused, read_usdm
from server.formats.usdm_importing import Founding, import_trial, placement_report
from server.formats.usdm_source import NothingToExport, export_source
from server.http.authentication import Principal, require_principal
from server.http.command_endpoint import request_meta
from server.http.founding import require_trial_creator
from server.http.identifiers import check_id
from server.http.problems import Problem
from server.http.query_routes import QueryRoute
from server.services import Services

USDM_MEDIA_TYPE = "application/json"
IMPORT_PATH = "/api/imports/usdm"
USDM_STREAMS = streams_of(StreamKind.WORKSPACE, StreamKind.PROTOCOL, StreamKind.AMENDMENT)
"""What an export reads of the replayed trial (``server/formats/usdm_source.py``)."""
_IMPORTING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _one_at_a_time() -> asyncio.Lock:
    """Imports are read one at a time per process (per event loop): reading a file of the
    largest size accepted takes hundreds of MiB (``usdm_import.MAX_FILE_BYTES``)."""
    return _IMPORTING.setdefault(asyncio.get_running_loop(), asyncio.Lock())


async def _export(services: Services, p: dict[str, str], principal: Principal) -> Response:
    trial_id = p["trial_id"]
    version = None
    if "version" in p:
        if "at" in p or "time" in p:
            raise Problem(422, "ambiguous-moment", "give version, at or time, not two of them")
        version = whole_number(p["version"])
        if not version:
            raise Problem(
                422, "malformed-version", "version must be a protocol version (1 or more)"
            )
    position = None if version is not None else await position_of(services.store, p)
    try:
        source = await export_source(
            services.store,
            lambda trial, at: trial_at(services, trial, at, USDM_STREAMS),
            trial_id,
            position=position,
            version=version,
        )
    except NothingToExport as missing:
        raise Problem(404, "not-found", str(missing)) from None
    body = await asyncio.to_thread(usdm_json, source)
    return Response(
        body,
        media_type=USDM_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{trial_id}-usdm.json"'},
    )


USDM_ROUTES: tuple[QueryRoute, ...] = (
    QueryRoute(
        "export_usdm",
        "/api/trials/{trial_id}/usdm",
        Action.READ,
        "The trial as a CDISC USDM v4 file (Wrapper): a study version per published protocol"
        " version, the narrative in the M11 outline as XHTML, the merged amendments with"
        " their coded reasons; at a protocol version (?version=), a log position (?at=) or a"
        " time (?time=), else now",
        _export,
        query={
            "version": "a published protocol version: the trial as that version was published",
            "at": "a log position",
            "time": "an ISO 8601 time with a UTC offset: the last position recorded by then",
        },
        media_type=USDM_MEDIA_TYPE,
    ),
)


# -- import -----------------------------------------------------------------------------


async def import_usdm(request: Request) -> Response:
    """Found a trial from the USDM v4 file in the body (see the module's docstring)."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    meta = request_meta(request, principal)
    require_trial_creator(services, principal.user.user_id)
    founding = _founding(request, principal)
    account = await services.account_log.state(principal.user.user_id)
    founding = replace(
        founding,
        training=founder_training(principal.user.user_id, account),
        founded_at=services.clock(),
    )
    async with _one_at_a_time():
        raw = await _file(request)
        try:
            plan = await asyncio.to_thread(
                read_usdm, raw, file_name=request.query_params.get("file_name", "")
            )
        except ImportRefused as refused:
            raise _refusal(refused) from None
        del raw
        imported = await import_trial(services.commands, plan, founding, meta)
    return JSONResponse(
        {
            "trial_id": imported.trial_id,
            "position": imported.position,
            "report": placement_report(imported.record),
        },
        status_code=201,
        headers={"Location": f"/api/trials/{imported.trial_id}"},
    )


def _founding(request: Request, principal: Principal) -> Founding:
    """The founding the query asks for (the training and time are the server's to fill)."""
    query = request.query_params
    if "training" in query:
        raise Problem(
            422,
            "invalid-parameter",
            "training is not sent: the founder's training is what a system administrator"
            " attested for your account",
        )
    missing = [n for n in ("trial_id", "organization_id", "organization_kind") if n not in query]
    if missing:
        raise Problem(
            422,
            "missing-parameter",
            f"name the new trial and your organization: {', '.join(missing)}"
            f" (organization_kind: one of {[k.value for k in OrganizationKind]})",
        )
    try:
        kind = OrganizationKind(query["organization_kind"])
    except ValueError:
        kinds = [k.value for k in OrganizationKind]
        raise Problem(422, "invalid-parameter", f"organization_kind is one of {kinds}") from None
    organization_id = check_id(query["organization_id"], "organization_id")
    founder = Actor(
        user_id=principal.user.user_id,
        printed_name=principal.user.printed_name,
        organization_id=organization_id,
        organization_kind=kind,
    )
    return Founding(
        trial_id=check_id(query["trial_id"], "trial_id"),
        founder=founder,
        organization_name=query.get("organization_name") or organization_id,
        training=(),
        founded_at=datetime.now(UTC),
        title=query.get("title") or None,
    )


async def _file(request: Request) -> bytes:
    """The body, at most :data:`MAX_FILE_BYTES` (413 before reading more), sent as JSON."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Problem(
            415,
            "unsupported-media-type",
            f"send the USDM file as application/json, not {media_type or 'without a Content-Type'}",
        )
    declared = request.headers.get("content-length")
    if declared is not None and (whole_number(declared) or 0) > MAX_FILE_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> Problem:
    return Problem(413, "file-too-large", f"the file is larger than {MAX_FILE_BYTES} bytes")


def _refusal(refused: ImportRefused) -> Problem:
    if refused.kind == "too-large":
        return _too_large()
    return Problem(
        422,
        refused.kind,
        refused.reason,
        errors=[{"path": e.path, "message": e.message} for e in refused.errors],
    )


def import_openapi_paths() -> dict[str, dict[str, Any]]:
    """The import's entry in the OpenAPI document (the export is a QueryRoute)."""
    text = {"type": "string"}
    parameters = [
        {"name": "trial_id", "in": "query", "required": True, "schema": text,
         "description": "the new trial's id: 1-64 letters, digits, '.', '_' or '-'"},
        {"name": "organization_id", "in": "query", "required": True, "schema": text,
         "description": "your organization's id in the trial"},
        {"name": "organization_kind", "in": "query", "required": True,
         "schema": {"type": "string", "enum": [k.value for k in OrganizationKind]}},
        {"name": "organization_name", "in": "query", "required": False, "schema": text},
        {"name": "title", "in": "query", "required": False, "schema": text,
         "description": "the trial's title (default: the file's official title)"},
        {"name": "file_name", "in": "query", "required": False, "schema": text},
    ]  # fmt: skip
    problem = {"$ref": "#/components/responses/Problem"}
    return {
        IMPORT_PATH: {
            "post": {
                "operationId": "import_usdm",
                "summary": "Found a trial from a CDISC USDM v4 file: its titles, identifiers,"
                " organizations and narrative (placed on the M11 outline, with a report of what"
                " went where); its amendments kept as history. You become its trial admin",
                "parameters": parameters,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "201": {"description": "Imported", "content": {"application/json": {}}},
                    **{str(s): problem for s in (400, 401, 403, 409, 413, 415, 422)},
                },
            }
        }
    }
