"""Every read over HTTP, in one table: the states of the trial's aggregates and lists."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from domain import workspace
from domain.streams import amendment_stream
from rbac import PERMISSIONS, Action
from server.commands.aggregates import AMENDMENT
from server.commands.state_cache import Loaded
from server.commands.targets import Target
from server.http.authentication import Principal, require_principal
from server.http.authorization import authorize, known_trial
from server.http.command_endpoint import etag
from server.http.glance import glance
from server.http.identifiers import path_params
from server.http.problems import Problem
from server.http.record_history import (
    amendment_history,
    dispute_history,
    motion_history,
    thread_history,
)
from server.http.streamed_view import streamed_view
from server.http.targets import (
    PathTarget,
    dispute_target,
    motion_target,
    protocol_target,
    thread_target,
    trial_target,
)
from server.http.views import (
    Against,
    amendment_changes_view,
    amendment_summary,
    amendment_view,
    protocol_view,
    state_view,
)
from server.services import Services

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class QueryRoute:
    """One read: its path, the action it needs in the trial, and what it answers."""

    name: str
    path: str
    action: Action | None
    summary: str
    answer: Callable[[Services, dict[str, str], Principal], Awaitable[Response]]
    query: Mapping[str, str] = field(default_factory=dict)
    """Query parameters it reads: name -> description (all optional)."""
    media_type: str = "application/json"
    """What a successful answer is."""


async def _load(services: Services, target: Target[Any]) -> Loaded[Any]:
    return await services.states.load(target.kind, target.stream_id)


def _found(version: int, what: str) -> None:
    if version == 0:
        raise Problem(404, "not-found", f"there is no {what}")


async def _trials(services: Services, p: dict[str, str], principal: Principal) -> Response:
    user_id = principal.user.user_id
    mine = services.directory.trials_of(user_id)
    # A member holds no role until an admin grants one (after accepting an invitation,
    # say), and roles are what let them read the trial: the list says which they hold.
    return JSONResponse(
        [
            {
                "trial_id": t.trial_id,
                "title": t.title,
                "roles": sorted(services.authorizer.roles_of(user_id, t.trial_id)),
            }
            for t in mine
        ]
    )


class _QuickJSONResponse(JSONResponse):
    """JSON written by msgspec: the same compact UTF-8 as Starlette's, several times
    faster. The encoder holds the interpreter until it is done, so the time it takes is
    time every other request waits (json.dumps: ~150 ms for 100,000 comments)."""

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


async def _viewed(view: Callable[[S], Any], loaded: Loaded[S]) -> Response:
    """``view`` of the loaded state as JSON, with its version as ETag, made in a worker
    thread: states are immutable, and a thread of 100,000 comments takes a second to
    write, which the event loop must not wait for."""
    headers = {"ETag": etag(loaded.version)}
    return await asyncio.to_thread(lambda: _QuickJSONResponse(view(loaded.state), headers=headers))


async def _trial(services: Services, p: dict[str, str], principal: Principal) -> Response:
    return await _viewed(state_view, await _load(services, trial_target(p)))


async def _protocol(services: Services, p: dict[str, str], principal: Principal) -> Response:
    loaded = await _load(services, protocol_target(p))
    _found(loaded.version, "protocol in this trial yet")
    return await _viewed(protocol_view, loaded)


async def _amendments(services: Services, p: dict[str, str], principal: Principal) -> Response:
    rows = []
    for amendment_id in known_trial(services, p["trial_id"]).amendments:
        state = (
            await services.states.load(AMENDMENT, amendment_stream(p["trial_id"], amendment_id))
        ).state
        rows.append(amendment_summary(state))
    return JSONResponse(rows)


async def _access(services: Services, p: dict[str, str], principal: Principal) -> Response:
    roles = services.authorizer.roles_of(principal.user.user_id, p["trial_id"])
    # The table the Casbin policy is written from: the same answer as asking Casbin for
    # each action, without a denied check (and its log line) per action.
    allowed = {action for role in roles for action in PERMISSIONS[role]}
    return JSONResponse(
        {
            "user_id": principal.user.user_id,
            "roles": sorted(roles),
            "actions": [action.value for action in Action if action in allowed],
        }
    )


async def _amendment(services: Services, p: dict[str, str], principal: Principal) -> Response:
    loaded = await services.states.load(
        AMENDMENT, amendment_stream(p["trial_id"], p["amendment_id"])
    )
    _found(loaded.version, "such amendment")
    workspace = await _load(services, trial_target(p))
    protocol = await _load(services, protocol_target(p))
    # Off the event loop: marking a long section's change word by word the first time
    # takes from tens of milliseconds to seconds (views keeps what it has written).
    charter, document = workspace.state.charter, protocol.state
    return await _viewed(lambda state: amendment_view(state, charter, document), loaded)


async def _amendment_changes(
    services: Services, p: dict[str, str], principal: Principal
) -> Response:
    against = p.get("against", Against.BASE.value)
    if against not in set(Against):
        raise Problem(
            422, "malformed-parameter", f"against is base or current, not {against[:40]!r}"
        )
    loaded = await services.states.load(
        AMENDMENT, amendment_stream(p["trial_id"], p["amendment_id"])
    )
    _found(loaded.version, "such amendment")
    protocol = (await _load(services, protocol_target(p))).state
    # Off the event loop, as the amendment itself: marking long sections takes a while.
    return await _viewed(
        lambda state: amendment_changes_view(state, protocol, Against(against)), loaded
    )


async def _threads(services: Services, p: dict[str, str], principal: Principal) -> Response:
    threads = known_trial(services, p["trial_id"]).threads
    return JSONResponse([{"subject_kind": kind, "subject_id": id_} for kind, id_ in threads])


def _one(
    target: Callable[[Mapping[str, str]], PathTarget], what: str
) -> Callable[..., Awaitable[Response]]:
    async def answer(services: Services, p: dict[str, str], principal: Principal) -> Response:
        loaded = await _load(services, target(p))
        _found(loaded.version, what)
        return await _viewed(state_view, loaded)

    return answer


def _ids(attribute: str) -> Callable[..., Awaitable[Response]]:
    async def answer(services: Services, p: dict[str, str], principal: Principal) -> Response:
        return JSONResponse(list(getattr(known_trial(services, p["trial_id"]), attribute)))

    return answer


async def _user(services: Services, p: dict[str, str], principal: Principal) -> Response:
    # What an invitation needs, and nothing more: whether this username is already one of
    # the trial's members (whom the admin sees anyway) or has a pending invitation. Of any
    # other username it answers the same, account or not, enabled or not.
    username = p.get("username", "")
    if not username:
        raise Problem(422, "username-required", "name the user (query parameter 'username')")
    trial = (await _load(services, trial_target(p))).state
    user = await services.accounts.by_username(username)
    member = trial.members.get(user.user_id) if user is not None else None
    pending = workspace.pending_for(trial, username)
    return JSONResponse(
        {
            "username": username,
            "member": (
                {"user_id": member.user_id, "printed_name": member.printed_name}
                if member is not None
                else None
            ),
            "pending_invitation": pending[0].invitation_id if pending else None,
        }
    )


async def _invitations(services: Services, p: dict[str, str], principal: Principal) -> Response:
    rows = services.directory.invitations_of(principal.user.username)
    return JSONResponse(
        [
            {
                "trial_id": row.trial_id,
                "invitation_id": row.invitation_id,
                "trial_title": row.trial_title,
                "organization": {"name": row.organization_name, "kind": row.organization_kind},
                "invited_by": row.invited_by_name,
                "invited_at": row.invited_at,
            }
            for row in rows
        ]
    )


async def _thread(services: Services, p: dict[str, str], principal: Principal) -> Response:
    loaded = await _load(services, thread_target(p))
    # Written a batch of comments at a time on the event loop and sent as it is written:
    # a thread may hold 100,000 comments (26 MB of JSON), too many to encode in one go.
    return StreamingResponse(
        streamed_view(loaded.state, "comments"),
        media_type="application/json",
        headers={"ETag": etag(loaded.version)},
    )


T = "/api/trials/{trial_id}"
READ = Action.READ

QUERY_ROUTES: tuple[QueryRoute, ...] = (
    QueryRoute(
        "list_trials",
        "/api/trials",
        None,
        "The trials you are a member of, with the roles you hold in each",
        _trials,
    ),
    QueryRoute(
        "get_trial", T, READ, "The workspace: organizations, members, roles, charter", _trial
    ),
    QueryRoute(
        "get_protocol", T + "/protocol", READ, "The protocol's current text and versions", _protocol
    ),
    QueryRoute(
        "get_access",
        T + "/access",
        READ,
        "Your roles in the trial and the actions they allow you to attempt",
        _access,
    ),
    QueryRoute(
        "list_invitations",
        "/api/invitations",
        None,
        "The invitations addressed to you, still pending: each trial's title, the"
        " organization and who invited you",
        _invitations,
    ),
    QueryRoute(
        "find_user",
        T + "/users",
        Action.ADMINISTER,
        "Whether a username is a member of the trial (then its id and printed name) or has a"
        " pending invitation; nothing about any other account, not even whether it exists",
        _user,
        query={"username": "the username (compared without regard to case)"},
    ),
    QueryRoute("list_amendments", T + "/amendments", READ, "The trial's amendments", _amendments),
    QueryRoute(
        "get_amendment",
        T + "/amendments/{amendment_id}",
        READ,
        "One amendment, with the signatures it needs and those still missing",
        _amendment,
    ),
    QueryRoute(
        "get_amendment_changes",
        T + "/amendments/{amendment_id}/changes",
        READ,
        "The amendment's tracked changes, per section it changes: the text in the version"
        " they are marked against, the proposed text, the word-level runs and the same as"
        " XHTML. Against its base version (what it proposes, as written on that version;"
        " for a merged amendment, what it changed) or the protocol's current version",
        _amendment_changes,
        query={"against": "base (the default) or current"},
    ),
    QueryRoute(
        "get_amendment_history",
        T + "/amendments/{amendment_id}/history",
        READ,
        "The amendment's history: the events of the amendment and of its comment thread in"
        " log order, each with the time the log recorded it and who caused it",
        amendment_history,
    ),
    QueryRoute("list_motions", T + "/motions", READ, "Ids of the trial's motions", _ids("motions")),
    QueryRoute(
        "get_motion",
        T + "/motions/{motion_id}",
        READ,
        "One motion and its votes",
        _one(motion_target, "such motion"),
    ),
    QueryRoute(
        "get_motion_history",
        T + "/motions/{motion_id}/history",
        READ,
        "The motion's events in log order (tabled, votes, recusals, its end), each with the"
        " time the log recorded it and who caused it",
        motion_history,
    ),
    QueryRoute(
        "list_disputes", T + "/disputes", READ, "Ids of the trial's disputes", _ids("disputes")
    ),
    QueryRoute(
        "get_dispute",
        T + "/disputes/{dispute_id}",
        READ,
        "One dispute",
        _one(dispute_target, "such dispute"),
    ),
    QueryRoute(
        "get_dispute_history",
        T + "/disputes/{dispute_id}/history",
        READ,
        "The dispute's events in log order (raised, each escalation with its reason, its"
        " resolution), each with the time the log recorded it and who caused it",
        dispute_history,
    ),
    QueryRoute(
        "get_trial_at_a_glance",
        T + "/glance",
        READ,
        "The trial at a glance: when each amendment, motion and dispute was opened, and"
        " the patient-engagement figures (advocates' comments per day, their dispositions,"
        " the time a disposition took)",
        glance,
    ),
    QueryRoute(
        "list_comment_threads",
        T + "/comments",
        READ,
        "The trial's comment threads (about sections and amendments), in the order they began",
        _threads,
    ),
    QueryRoute(
        "get_comments",
        T + "/comments/{subject_kind}/{subject_id}",
        READ,
        "The comment thread about a section or an amendment",
        _thread,
    ),
    QueryRoute(
        "get_comment_history",
        T + "/comments/{subject_kind}/{subject_id}/history",
        READ,
        "The comment thread's events in log order (each comment, each disposition), each"
        " with the time the log recorded it and who caused it",
        thread_history,
    ),
)


def endpoint_for_query(route: QueryRoute) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        principal = await require_principal(request)
        # Audit reads take their moment from the query (?at=, ?time=); path ids win.
        params = {**request.query_params, **path_params(request)}
        if route.action is not None:
            authorize(services, principal, params["trial_id"], route.action)
        return await route.answer(services, params, principal)

    endpoint.__name__ = route.name
    return endpoint
