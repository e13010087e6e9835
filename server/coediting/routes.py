"""The shared text of a section over HTTP (sending an update is a command route:
``edit_shared_text`` in ``server/http/command_routes.py``).

- ``GET /api/trials/{trial_id}/protocol/sections/{number}/text`` (``trial:read``): the
  document as one Yjs update, with the stream version it is current to, the revision it
  is based on and who wrote since. The first person who may edit the protocol to open
  it starts it from the section's head revision (``SharedTextStarted``); to a reader, a
  text nobody started answers ``started: false`` and the recorded revision is the text.
- ``POST .../sections/{number}/revisions`` with ``{"reason": ...}``
  (``protocol:edit``): record the shared text, as it is now, as the section's next
  revision, with everyone who wrote since the last one as its contributors.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from typing import Any

from pycrdt import Doc, XmlFragment
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.actor import Actor
from domain.protocol_state import ProtocolState
from domain.shared_text import RecordSharedText, SharedText, StartSharedText
from domain.streams import protocol_stream
from rbac import Action
from server.coediting.documents import SharedDocument
from server.coediting.rich_text import FIELD, write_markup
from server.commands.aggregates import PROTOCOL
from server.commands.errors import StaleVersion
from server.commands.targets import shared_text_target
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
_RECORD_ATTEMPTS = 5


async def _shared_text(services: Services, p: dict[str, str], principal: Principal) -> Response:
    trial_id, number = p["trial_id"], p["number"]
    target = shared_text_target(trial_id, number)
    loaded = await services.states.load(target.kind, target.stream_id)
    if not loaded.state.started:
        protocol = await _protocol(services, trial_id)
        section = protocol.live_section(number)
        if section is None:
            raise Problem(404, "not-found", f"there is no section {number}")
        if protocol.versions or not services.authorizer.allows(
            principal.user.user_id, trial_id, Action.EDIT_PROTOCOL
        ):
            return JSONResponse(_not_started(number, section.head.revision))
        await _start(
            services, principal, trial_id, number, section.head.revision, section.head.text
        )
        loaded = await services.states.load(target.kind, target.stream_id)
    document = await services.texts.open(target.stream_id)
    return JSONResponse(_view(number, loaded.state, document))


def _not_started(number: str, revision: int) -> dict[str, Any]:
    return {"number": number, "started": False, "base_revision": revision, "writers": []}


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


async def _start(
    services: Services,
    principal: Principal,
    trial_id: str,
    number: str,
    revision: int,
    text: str,
) -> None:
    """Start the shared text from ``text`` (revision ``revision``); if someone else started
    it meanwhile, theirs stands."""
    update = base64.b64encode(first_state(text)).decode("ascii")
    with contextlib.suppress(StaleVersion):
        await services.commands.execute(
            shared_text_target(trial_id, number),
            principal.user.user_id,
            lambda actor: StartSharedText(
                actor=actor, number=number, from_revision=revision, update=update
            ),
            if_match=0,
            meta={"actor": principal.user.user_id, "via": principal.via},
        )


def first_state(text: str) -> bytes:
    """A document holding ``text`` (section markup), as one update."""
    doc: Doc[Any] = Doc()
    write_markup(doc.get(FIELD, type=XmlFragment), text)
    return doc.get_update()


async def record_revision(request: Request) -> Response:
    """Record the shared text as the section's next revision (see the module's docstring)."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    params = path_params(request)
    trial_id, number = params["trial_id"], params["number"]
    authorize(services, principal, trial_id, Action.EDIT_PROTOCOL)
    meta = request_meta(request, principal)
    body = await read_json_object(request)
    idempotency = idempotent_request(request, principal.user.user_id, body)
    unknown = sorted(body.keys() - {"reason"})
    if unknown:
        raise Problem(422, "unknown-fields", f"a revision takes only a reason, not {unknown}")
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise Problem(422, "invalid-body", "say why the section changes: 'reason' (text)")
    target = shared_text_target(trial_id, number)
    for attempt in range(_RECORD_ATTEMPTS):
        # Current with the log as it is now, so the text and its version agree.
        await services.follower.wait_for(await services.store.head_position())
        document = await services.texts.open(target.stream_id)
        record = _recording(number, document.markup(), document.version, reason)
        try:
            outcome = await services.commands.execute(
                target,
                principal.user.user_id,
                record,
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


def _recording(
    number: str, text: str, version: int, reason: str
) -> Callable[[Actor], RecordSharedText]:
    def record(actor: Actor) -> RecordSharedText:
        return RecordSharedText(
            actor=actor, number=number, text=text, text_version=version, reason=reason
        )

    return record


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
)


def revision_openapi_paths() -> dict[str, dict[str, Any]]:
    """The entry of ``POST .../revisions`` in the OpenAPI document."""
    problem = {"$ref": "#/components/responses/Problem"}
    text = {"type": "string"}
    return {
        REVISIONS_PATH: {
            "post": {
                "operationId": "record_section_revision",
                "summary": "Record a section's shared text, as it is now, as its next revision,"
                " saying why; everyone who wrote since the last revision is a contributor",
                "description": "Needs `protocol:edit` in the trial.",
                "parameters": [
                    {"name": "trial_id", "in": "path", "required": True, "schema": text},
                    {"name": "number", "in": "path", "required": True, "schema": text},
                    *keyed_write_parameters(),
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"reason": {"type": "string", "minLength": 1}},
                                "required": ["reason"],
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
    }
