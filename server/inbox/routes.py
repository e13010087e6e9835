"""``GET /api/inbox``: what waits for the signed-in person, in every trial they may read
(or, with ``?trial=``, in one)."""

from __future__ import annotations

import dataclasses

from starlette.responses import JSONResponse, Response

from rbac import Action
from server.http.authentication import Principal
from server.http.authorization import authorize
from server.http.identifiers import check_id
from server.http.problems import Problem
from server.http.query_routes import QueryRoute
from server.services import Services


async def _inbox(services: Services, p: dict[str, str], principal: Principal) -> Response:
    unknown = sorted(set(p) - {"trial"})
    if unknown:
        raise Problem(
            422, "malformed-parameter", f"the only parameter is trial, not {unknown[0]!r}"
        )
    user_id = principal.user.user_id
    trial = p.get("trial")
    if trial is None:
        items = await services.inbox.items_for(user_id)
        updates = await services.inbox.updates(user_id)
    else:
        # As every read of a trial: 404 for one that does not exist or they may not read.
        authorize(services, principal, check_id(trial, "trial"), Action.READ)
        items = await services.inbox.trial_items(user_id, trial)
        updates = await services.inbox.updates(user_id, trial)
    return JSONResponse(
        {
            "count": len(items),
            "items": [dataclasses.asdict(i) for i in items],
            "updates": [dataclasses.asdict(u) for u in updates],
        }
    )


INBOX_ROUTES: tuple[QueryRoute, ...] = (
    QueryRoute(
        "get_inbox",
        "/api/inbox",
        None,
        "What waits for you, oldest waiting first: signatures and reviews you could give,"
        " votes, disputes at your ladder level, approved amendments to merge, advocate"
        " comments awaiting your disposition, site approvals and activations, erasures"
        " awaiting your approval, and where your own open amendments stand. Each item:"
        " kind, trial_id, trial_title, title, link (the web page), since (ISO, or null),"
        " record; with count, and updates: what happened to your own comments (dispositions,"
        " replies) and amendments (approved, rejected, merged, withdrawn, in conflict) in"
        " the last 30 days, newest first, at most 30 (kind, trial_id, trial_title, title,"
        " link, at, record), not counted",
        _inbox,
        query={"trial": "only this trial's items (a trial you may read)"},
    ),
)
