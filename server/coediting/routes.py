"""The shared text of a section over HTTP (sending an update is a command route:
``edit_shared_text`` and ``edit_amendment_text`` in ``server/http/command_routes.py``).

- ``GET /api/trials/{trial_id}/protocol/sections/{number}/text`` (``trial:read``): the
  document as one Yjs update, with the stream version it is current to, the revision it
  is based on and who wrote since. The first person who may edit the protocol to open
  it starts it from the section's head revision (``SharedTextStarted``); to a reader, a
  text nobody started answers ``started: false`` and the recorded revision is the text.
- ``POST .../sections/{number}/revisions`` with ``{"reason": ...}``
  (``protocol:edit``): record the shared text, as it is now, as the section's next
  revision, with everyone who wrote since the last one as its contributors.
- ``GET /api/trials/{trial_id}/amendments/{amendment_id}/texts/{number}`` and
  ``POST .../texts/{number}/proposal`` with ``{"description", "rationale"}``
  (``amendment:author``): the same for the change an amendment proposes to a section,
  started from the amendment's proposal (or the section's current text) and proposed as
  the amendment's change (sending an update: ``edit_amendment_text``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.errors import SectionNotFound
from domain.proposal_text import proposal_start
from domain.protocol_state import ProtocolState
from domain.shared_text import (
    ProposeSharedText,
    RecordSharedText,
    SharedText,
)
from domain.streams import amendment_stream, protocol_stream
from rbac import Action
from server.audit.moment import position_of
from server.coediting.documents import SharedDocument
from server.coediting.history import text_at
from server.coediting.rich_text import first_state
from server.commands.aggregates import AMENDMENT, PROTOCOL
from server.commands.errors import StaleVersion
from server.commands.reactions import BuildCommand
from server.commands.targets import Target, amendment_text_target, shared_text_target
from server.http.authentication import Principal, require_principal
from server.http.authorization import authorize
from server.http.command_endpoint import outcome_response, request_meta
from server.http.idempotency_header import idempotent_request
from server.http.identifiers import path_params
from server.http.json_body import read_json_object
from server.http.openapi import keyed_outcome, keyed_write_parameters
from server.http.problems import Problem
from server.http.query_routes import QueryRoute
from server.services import Services

TEXT_PATH = "/api/trials/{trial_id}/protocol/sections/{number}/text"
REVISIONS_PATH = "/api/trials/{trial_id}/protocol/sections/{number}/revisions"
AMENDMENT_TEXT_PATH = "/api/trials/{trial_id}/amendments/{amendment_id}/texts/{number}"
PROPOSAL_PATH = AMENDMENT_TEXT_PATH + "/proposal"
_RECORD_ATTEMPTS = 5


async def _shared_text(services: Services, p: dict[str, str], principal: Principal) -> Response:
    trial_id, number = p["trial_id"], p["number"]
    target = shared_text_target(trial_id, number)
    loaded = await services.states.load(target.kind, target.stream_id)
    if loaded.state.started:
        return await _answer(services, target)
    section = (await _protocol(services, trial_id)).live_section(number)
    if section is None:
        raise Problem(404, "not-found", f"there is no section {number}")
    return JSONResponse(_first(number, section.head.text, section.head.revision))


async def _amendment_text(services: Services, p: dict[str, str], principal: Principal) -> Response:
    trial_id, amendment_id, number = p["trial_id"], p["amendment_id"], p["number"]
    target = amendment_text_target(trial_id, amendment_id, number)
    loaded = await services.states.load(target.kind, target.stream_id)
    if loaded.state.started:
        return await _answer(services, target)
    proposal = await services.states.load(AMENDMENT, amendment_stream(trial_id, amendment_id))
    if not proposal.state.exists:
        raise Problem(404, "not-found", f"there is no amendment {amendment_id}")
    try:
        text = proposal_start(proposal.state, await _protocol(services, trial_id), number)
    except SectionNotFound as missing:
        raise Problem(404, "not-found", str(missing)) from None
    return JSONResponse(_first(number, text, 0))


def _first(number: str, text: str, revision: int) -> dict[str, Any]:
    """A text nobody has written in yet: its first state, which the first edit records
    (the same bytes wherever it is made)."""
    return {
        "number": number,
        "started": False,
        "state": base64.b64encode(first_state(text)).decode("ascii"),
        "version": 0,
        "base_revision": revision,
        "writers": [],
        "edits": 0,
    }


async def _answer(services: Services, target: Target[SharedText]) -> Response:
    loaded = await services.states.load(target.kind, target.stream_id)
    document = await services.texts.open(target.stream_id)
    number = target.stream.section or target.stream.aggregate_id
    return JSONResponse(_view(number, loaded.state, document))


async def _history(services: Services, p: dict[str, str], principal: Principal) -> Response:
    target = shared_text_target(p["trial_id"], p["number"])
    position = await position_of(services.store, p)
    found = await text_at(services.store, target.stream_id, position)
    if found is None:
        raise Problem(404, "not-found", f"section {p['number']} had no shared text by then")
    return JSONResponse(
        {
            "number": p["number"],
            "position": found.position,
            "version": found.version,
            "text": found.text,
            "base_revision": found.base_revision,
            "attributed_from_version": found.attributed_from_version,
            "authored": [{"text": a.text, "by": a.by} for a in found.authored],
            "recorded": [
                {
                    "revision": r.revision,
                    "position": r.position,
                    "reason": r.reason,
                    "contributors": list(r.contributors),
                    "recorded_by": r.recorded_by,
                }
                for r in found.recorded
            ],
        }
    )


def _view(number: str, state: SharedText, document: SharedDocument) -> dict[str, Any]:
    return {
        "number": number,
        "started": True,
        "state": base64.b64encode(document.state()).decode("ascii"),
        "version": document.version,
        "base_revision": state.base_revision,
        "writers": list(state.writers),
        "edits": state.edits,
    }


async def _protocol(services: Services, trial_id: str) -> ProtocolState:
    loaded = await services.states.load(PROTOCOL, protocol_stream(trial_id))
    state: ProtocolState = loaded.state
    return state


async def record_revision(request: Request) -> Response:
    """Record a section's shared text as its next revision (see the module's docstring)."""
    params = path_params(request)
    target = shared_text_target(params["trial_id"], params["number"])

    def recording(text: str, version: int, body: dict[str, str]) -> BuildCommand:
        return lambda actor: RecordSharedText(
            actor=actor,
            number=params["number"],
            text=text,
            text_version=version,
            reason=body["reason"],
        )

    return await _record(request, target, Action.EDIT_PROTOCOL, ("reason",), recording)


async def propose_text(request: Request) -> Response:
    """Propose an amendment's shared text for a section as its change to the section."""
    params = path_params(request)
    number = params["number"]
    target = amendment_text_target(params["trial_id"], params["amendment_id"], number)

    def proposing(text: str, version: int, body: dict[str, str]) -> BuildCommand:
        return lambda actor: ProposeSharedText(
            actor=actor,
            number=number,
            text=text,
            text_version=version,
            description=body["description"],
            rationale=body["rationale"],
        )

    fields = ("description", "rationale")
    return await _record(request, target, Action.AUTHOR_AMENDMENT, fields, proposing)


async def _record(
    request: Request,
    target: Target[SharedText],
    action: Action,
    fields: tuple[str, ...],
    command: Callable[[str, int, dict[str, str]], BuildCommand],
) -> Response:
    """Record the document as it is now: read at the log's head, pinned to its version
    (someone typing meanwhile: read it again)."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    authorize(services, principal, target.trial_id, action)
    meta = request_meta(request, principal)
    body = await read_json_object(request)
    idempotency = idempotent_request(request, principal.user.user_id, body)
    unknown = sorted(body.keys() - set(fields))
    if unknown:
        raise Problem(422, "unknown-fields", f"this takes only {list(fields)}, not {unknown}")
    texts = {name: body.get(name, "") for name in fields}
    if not all(isinstance(value, str) for value in texts.values()):
        raise Problem(422, "invalid-body", f"{', '.join(fields)}: text")
    for attempt in range(_RECORD_ATTEMPTS):
        await services.follower.wait_for(await services.store.head_position())
        document = await services.texts.open(target.stream_id)
        try:
            outcome = await services.commands.execute(
                target,
                principal.user.user_id,
                command(document.markup(), document.version, texts),
                if_match=document.version,
                meta=meta,
                idempotency=idempotency,
            )
        except StaleVersion:
            if attempt == _RECORD_ATTEMPTS - 1:
                raise
            continue  # someone typed meanwhile: record what is there now
        return outcome_response(outcome, created=True)
    raise AssertionError("unreachable")


TEXT_ROUTES: tuple[QueryRoute, ...] = (
    QueryRoute(
        "shared_text",
        TEXT_PATH,
        Action.READ,
        "A section's shared text: the document as one Yjs update (base64, v1), the stream"
        " version it is current to, the revision it is based on and who wrote since. Opened"
        " by someone who may edit, a text nobody started is started from the section's head"
        " revision",
        _shared_text,
    ),
    QueryRoute(
        "shared_text_history",
        TEXT_PATH + "/history",
        Action.AUDIT,
        "A section's shared text as it was at a log position (?at=) or time (?time=), else"
        " now: its markup, the revisions recorded from it by then, and who wrote which"
        " words since the last of them",
        _history,
        query={
            "at": "a log position",
            "time": "an ISO 8601 time with a UTC offset: the last position recorded by then",
        },
    ),
    QueryRoute(
        "amendment_text",
        AMENDMENT_TEXT_PATH,
        Action.READ,
        "The shared text of the change an amendment proposes to a section (as"
        " shared_text); opened by one of those who may author amendments while it is a"
        " draft or submitted, it starts from the amendment's proposal for the section, or"
        " the section's current text",
        _amendment_text,
    ),
)


def recording_openapi_paths() -> dict[str, dict[str, Any]]:
    """The entries of ``POST .../revisions`` and ``POST .../proposal`` in the OpenAPI
    document."""
    return {
        REVISIONS_PATH: _recording_operation(
            "record_section_revision",
            "Record a section's shared text, as it is now, as its next revision, saying why;"
            " everyone who wrote since the last revision is a contributor",
            "protocol:edit",
            ("reason",),
        ),
        PROPOSAL_PATH: _recording_operation(
            "propose_amendment_text",
            "Propose an amendment's shared text for a section, as it is now, as the"
            " amendment's change to the section (its row of the overview of changes:"
            " description and rationale)",
            "amendment:author",
            ("description", "rationale"),
        ),
    }


def _recording_operation(
    name: str, summary: str, action: str, fields: tuple[str, ...]
) -> dict[str, Any]:
    problem = {"$ref": "#/components/responses/Problem"}
    text = {"type": "string"}
    path_names = ["trial_id", *(["amendment_id"] if "amendment" in name else []), "number"]
    return {
        "post": {
            "operationId": name,
            "summary": summary,
            "description": f"Needs `{action}` in the trial.",
            "parameters": [
                *({"name": n, "in": "path", "required": True, "schema": text} for n in path_names),
                *keyed_write_parameters(),
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {f: {"type": "string", "minLength": 1} for f in fields},
                            "required": list(fields),
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "201": keyed_outcome(),
                **{str(s): problem for s in (400, 401, 403, 404, 409, 412, 422)},
            },
        }
    }
