"""``/api/live`` (the websocket) and ``POST /api/live/tickets`` (a ticket to open one)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket

from server.http.authentication import require_principal
from server.http.problems import Problem
from server.live.connection import LiveConnection
from server.live.handshake import admit
from server.live.messages import CLOSE_POLICY_VIOLATION
from server.services import Services

LIVE_PATH = "/api/live"


async def live(websocket: WebSocket) -> None:
    """Admit the handshake (or answer it with a problem), then serve the connection."""
    services: Services = websocket.app.state.services
    ends = services.live.ends
    try:
        admission = await admit(websocket, services)
    except Problem as problem:
        await _deny(websocket, problem)
        return
    await websocket.accept()
    connection = LiveConnection(
        websocket,
        user=admission.user,
        trials=admission.trials,
        feed=services.live,
        store=services.store,
        authorizer=services.authorizer,
        still_signed_in=admission.still_signed_in,
        session=admission.session,
        token_id=admission.token_id,
        settings=services.settings.live,
    )
    await connection.serve(admission.after, ends=ends)


async def websocket_required(request: Request) -> Response:
    """A plain HTTP request to ``/api/live``: say how to connect instead of "not found"."""
    raise Problem(
        426,
        "websocket-required",
        f"{LIVE_PATH} is a websocket: open it with a WebSocket handshake (see docs/live.md)",
        title="Upgrade Required",
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
    )


async def issue_ticket(request: Request) -> Response:
    """A single-use ticket for opening one live connection within 30 seconds."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    issued = await services.live_tickets.issue(principal.user.user_id)
    return JSONResponse(
        {
            "ticket": issued.ticket,
            "expires_at": issued.expires_at.isoformat(),
            "url": f"{LIVE_PATH}?ticket={issued.ticket}",
        },
        status_code=201,
    )


async def _deny(websocket: WebSocket, problem: Problem) -> None:
    try:
        await websocket.send_denial_response(problem.response(LIVE_PATH))
    except RuntimeError:  # the server cannot answer a handshake with a response
        await websocket.close(CLOSE_POLICY_VIOLATION, problem.detail[:120])
