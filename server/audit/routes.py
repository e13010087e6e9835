"""The audit reads over HTTP: replay, who could do what, diffs, trails, exports.

Each is a :class:`server.http.query_routes.QueryRoute`, so it is authorized, served and
documented exactly as the other reads are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from urllib.parse import quote, urlencode

from starlette.responses import JSONResponse, Response, StreamingResponse

from domain.streams import StreamKind, trial_stream
from rbac import Action, policy_at
from server.audit.exports import MEDIA_TYPES, export_text
from server.audit.moment import position_of
from server.audit.permissions_view import permissions_view
from server.audit.protocol_diff_view import protocol_diff
from server.audit.replay_view import replay_json, replay_streams
from server.audit.report.served import served_report
from server.audit.served_history import streams_of, trial_at
from server.audit.timeline import TimelineQuery, timeline
from server.audit.trail import audit_trail, record_stream
from server.audit.trail_filter import TrailFilter
from server.audit.verification import (
    PROGRESS_MEDIA_TYPE,
    verification_answer,
    verification_progress,
    verify_log,
)
from server.http.authentication import Principal
from server.http.problems import Problem
from server.http.query_routes import QueryRoute
from server.services import Services


async def _replay(services: Services, p: dict[str, str], principal: Principal) -> Response:
    stream = _record(p["trial_id"], p["record"]) if "record" in p else None
    position = await position_of(services.store, p)
    replayed = await trial_at(services, p["trial_id"], position, replay_streams(stream))
    # The protocol's view takes some milliseconds to write at a million events: off the
    # event loop, from states no one changes (the motions' lines are written as they are).
    content = await asyncio.to_thread(replay_json, replayed, stream)
    return Response(content, media_type="application/json")


def _record(trial_id: str, record: str) -> str:
    stream = record_stream(trial_id, record)
    if stream is None:
        raise Problem(422, "unknown-record", f"{record!r} is no record: {RECORDS}")
    return stream


async def _permissions(services: Services, p: dict[str, str], principal: Principal) -> Response:
    trial_id = p["trial_id"]
    position = await position_of(services.store, p)
    replayed = await trial_at(services, trial_id, position, streams_of(StreamKind.WORKSPACE))
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


RECORDS = "workspace, protocol, amendment/ID, motion/ID, dispute/ID or comments/KIND/ID"


async def _trail(services: Services, p: dict[str, str], principal: Principal) -> Response:
    record = p.get("record")
    if record is None:
        raise Problem(422, "missing-parameter", "say which record: ?record=amendment/A-1")
    stream = _record(p["trial_id"], record)
    if await services.store.stream_version(stream) == 0:
        raise Problem(404, "not-found", f"trial {p['trial_id']} has no record {record}")
    selection = TrailFilter.of(p)
    chosen, more = await selection.select(audit_trail(services.store, p["trial_id"], record=record))
    headers = {}
    if more:
        query = {k: v for k, v in selection.next_page(p, chosen).items() if k != "trial_id"}
        path = f"{A}/trail".format(trial_id=quote(p["trial_id"], safe=""))
        headers["Link"] = f'<{path}?{urlencode(query)}>; rel="next"'
    return JSONResponse([asdict(entry) for entry in chosen], headers=headers)


async def _timeline(services: Services, p: dict[str, str], principal: Principal) -> Response:
    query = TimelineQuery.of(p["trial_id"], p)
    page = await timeline(services.store, services.directory, p["trial_id"], query)
    answer = page.json()
    headers = {}
    if answer["next_after"] is not None:
        asked = {k: v for k, v in p.items() if k != "trial_id"} | {
            "after": str(answer["next_after"])
        }
        path = f"{A}/timeline".format(trial_id=quote(p["trial_id"], safe=""))
        headers["Link"] = f'<{path}?{urlencode(asked)}>; rel="next"'
    return JSONResponse(answer, headers=headers)


def _export(kind: str) -> Callable[..., Awaitable[Response]]:
    async def answer(services: Services, p: dict[str, str], principal: Principal) -> Response:
        trial_id = p["trial_id"]
        if kind == "pdf":
            # made while the answer is sent: abandoned if the client goes away
            response: Response = served_report(services, trial_id)
        else:
            text = await export_text(services.store, services.checkpoints, trial_id, kind)
            response = StreamingResponse(text, media_type=MEDIA_TYPES[kind])
        name = {"jsonl": "log", "csv": "audit-trail", "pdf": "audit-report"}[kind]
        response.headers["Content-Disposition"] = f'attachment; filename="{trial_id}-{name}.{kind}"'
        return response

    return answer


async def _signing_key(services: Services, p: dict[str, str], principal: Principal) -> Response:
    key = services.checkpoints.key
    return JSONResponse({"key_id": key.key_id, "public_key": key.public_key_pem()})


async def _verification(services: Services, p: dict[str, str], principal: Principal) -> Response:
    streamed = p.get("progress", "false")
    if streamed not in ("true", "false"):
        raise Problem(422, "malformed-parameter", "progress is true or false")
    if streamed == "true":
        lines = verification_progress(services.store, services.checkpoints)
        return StreamingResponse(lines, media_type=PROGRESS_MEDIA_TYPE)
    return JSONResponse(verification_answer(await verify_log(services.store, services.checkpoints)))


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
        query={**MOMENT, "record": "a record to include in full: " + RECORDS},
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
        "audit_trail",
        A + "/trail",
        AUDIT,
        "The audit trail of one record: each value an event changed, old and new, with who"
        " (name, roles, organization), when (server UTC) and why",
        _trail,
        query={
            "record": RECORDS,
            "by": "only what this user id changed",
            "since": "only events recorded at or after this ISO 8601 time (with its offset)",
            "until": "only events recorded at or before this ISO 8601 time (with its offset)",
            "after": "only events after this log position (the next page starts there)",
            "limit": "at most this many entries, 1 to 10,000 (whole events; Link rel=next)",
        },
    ),
    QueryRoute(
        "audit_timeline",
        A + "/timeline",
        AUDIT,
        "The trial's events in log order, each in plain words: position, time, who (printed"
        " name and user id), what they did, a one-line summary and the slider's marker kind"
        " (version, amendment, signature, decision); a page at a time",
        _timeline,
        query={
            "kind": "only events marked as these kinds, comma-separated: version, amendment,"
            " signature, decision",
            "by": "only events this user id recorded",
            "record": "only the events of this record: " + RECORDS,
            "since": "only events recorded at or after this ISO 8601 time (with its offset)",
            "until": "only events recorded at or before this ISO 8601 time (with its offset)",
            "after": "only events after this log position (the next page starts there)",
            "limit": "at most this many entries, 1 to 1,000 (default 100; Link rel=next)",
        },
    ),
    QueryRoute(
        "verify_log",
        A + "/verification",
        AUDIT,
        "Recompute the log's hash chain and check every signed checkpoint against it (as"
        " concord verify does): ok, or the first position that does not match and why."
        " With progress=true, JSON lines as it goes ({checked, head_position}), the answer"
        " last",
        _verification,
        query={"progress": "true: stream the progress as JSON lines, the answer last"},
    ),
    QueryRoute(
        "export_log",
        A + "/export.jsonl",
        EXPORT,
        "The log as JSON Lines, verifiable offline (concord verify FILE): the trial's events"
        " in full, other trials' as redacted links, headed by a checkpoint signed for it",
        _export("jsonl"),
        media_type=MEDIA_TYPES["jsonl"],
    ),
    QueryRoute(
        "export_audit_trail",
        A + "/export.csv",
        EXPORT,
        "The trial's audit trail as CSV: who, when, what (old and new value), why",
        _export("csv"),
        media_type=MEDIA_TYPES["csv"],
    ),
    QueryRoute(
        "export_audit_report",
        A + "/export.pdf",
        EXPORT,
        "The trial's audit report as PDF, as of a checkpoint signed for it: a summary, then"
        " each version with the superseded text of the sections it changed, each amendment"
        " with its text tracked against its base, signatures, committee votes, comments and"
        " dispositions, decisions, disputes with their escalations, and an integrity page",
        _export("pdf"),
        media_type=MEDIA_TYPES["pdf"],
    ),
    QueryRoute(
        "signing_key",
        "/api/signing-key",
        None,
        "The server's Ed25519 public key, which signs checkpoints and exports",
        _signing_key,
    ),
)
