"""The audit reads over HTTP: replay, who could do what, diffs, trails, exports.

Each is a :class:`server.query_routes.QueryRoute`, so it is authorized, served and
documented exactly as the other reads are.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response, StreamingResponse

from domain.streams import trial_stream
from rbac import Action, policy_at
from server.audit.exports import MEDIA_TYPES, signed_log
from server.audit.moment import position_of
from server.audit.permissions_view import permissions_view
from server.audit.protocol_diff_view import protocol_diff
from server.audit.replay_view import replay_view
from server.authentication import Principal
from server.problems import Problem
from server.query_routes import QueryRoute
from server.services import Services


async def _replay(services: Services, p: dict[str, str], principal: Principal) -> Response:
    position = await position_of(services.store, p)
    replayed = await services.history.at(p["trial_id"], position)
    return JSONResponse(replay_view(replayed))


async def _permissions(services: Services, p: dict[str, str], principal: Principal) -> Response:
    trial_id = p["trial_id"]
    position = await position_of(services.store, p)
    replayed = await services.history.at(trial_id, position)
    policy = await policy_at(services.store, trial_id, at=replayed.at)
    workspace = replayed.states.get(trial_stream(trial_id))
    return JSONResponse(permissions_view(policy, trial_id, replayed.at, workspace))


async def _diff(services: Services, p: dict[str, str], principal: Principal) -> Response:
    if "from" not in p:
        raise Problem(
            422, "missing-parameter", "say what to compare from: ?from=v1, a position or a time"
        )
    answer = await protocol_diff(services, p["trial_id"], p["from"], p.get("to", "head"))
    return JSONResponse(answer)


async def _log(services: Services, p: dict[str, str], principal: Principal) -> Response:
    lines = await signed_log(services.store, services.checkpoints, p["trial_id"])
    filename = f"{p['trial_id']}-log.jsonl"
    return _download(StreamingResponse(lines, media_type=MEDIA_TYPES["jsonl"]), filename)


def _download(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


async def _signing_key(services: Services, p: dict[str, str], principal: Principal) -> Response:
    key = services.checkpoints.key
    return JSONResponse({"key_id": key.key_id, "public_key": key.public_key_pem()})


A = "/api/trials/{trial_id}/audit"
MOMENT = {
    "at": "a log position (default: the head)",
    "time": "an ISO 8601 time with a UTC offset: the last position recorded by then",
}
AUDIT = Action.AUDIT
EXPORT = Action.EXPORT

AUDIT_ROUTES: tuple[QueryRoute, ...] = (
    QueryRoute(
        "replay_trial",
        A + "/replay",
        AUDIT,
        "The trial as it was at a log position (?at=) or time (?time=), with the positions"
        " one step back and forward",
        _replay,
        query=MOMENT,
    ),
    QueryRoute(
        "replay_permissions",
        A + "/permissions",
        AUDIT,
        "Who could do what at a log position (?at=) or time (?time=): the Casbin policy"
        " replayed there",
        _permissions,
        query=MOMENT,
    ),
    QueryRoute(
        "protocol_diff",
        A + "/diff",
        AUDIT,
        "What changed in the protocol between two versions or moments: tracked changes by"
        " section, and the clean text",
        _diff,
        query={
            "from": "v<N> for published version N, a log position, or an ISO 8601 time",
            "to": "the same, or head (the default)",
        },
    ),
    QueryRoute(
        "export_log",
        A + "/export.jsonl",
        EXPORT,
        "The log as JSON Lines, verifiable offline (concord verify FILE): the trial's events"
        " in full, other trials' as redacted links, headed by a checkpoint signed for it",
        _log,
        media_type=MEDIA_TYPES["jsonl"],
    ),
    QueryRoute(
        "signing_key",
        "/api/signing-key",
        None,
        "The server's Ed25519 public key, which signs checkpoints and exports",
        _signing_key,
    ),
)
