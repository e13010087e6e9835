"""Erasing a person's personal data over HTTP: a request, approved per each charter
(:mod:`domain.erasure_requests`, carried out by :mod:`server.erasure_requests`).

- ``POST /api/accounts/{user_id}/personal-data/erasure`` ``{reason}``: a system admin
  requests it (the account must be disabled); 202 with who must still approve.
- ``POST .../personal-data/erasure/approvals`` ``{trial_id}``: a member the trial's
  charter names approves for that trial (``null``: a second system admin, when the
  person took part in no trial); 202 while approvals are missing, 200 once the last one
  has carried the erasure out (answered once this server shows the names as erased).
- ``POST .../personal-data/erasure/withdrawal`` ``{reason}``: a system admin withdraws it.
- ``GET .../personal-data/erasure``: the pending request, its approvals and who may still
  approve, for system admins, account auditors and those who may approve it.
- ``GET /api/personal-data/erasure-requests?awaiting=me``: the pending requests the
  caller may approve (without ``awaiting``: every pending one, for system admins and
  account auditors).

A refusal is problem+json and records nothing: the domain's rules by their names
(``not-an-erasure-approver`` naming the trial and the roles its charter names,
``no-pending-erasure``, ``erasure-already-requested``, ``erasure-already-approved``,
``trial-not-concerned``, ...), ``account-enabled`` while the account is enabled.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from domain.erasure_requests import PendingErasure, eligible_approvers
from domain.errors import NotAnErasureApprover
from domain.personal_data import ErasureApproval
from domain.streams import trial_stream
from domain.workspace_state import TrialState
from rbac import SystemAction
from server.accounts.users import User
from server.commands.aggregates import WORKSPACE
from server.erasure_requests import ErasureRequests, FoldedRequest
from server.http.account_openapi import ERASURE_INBOX_PATH, ERASURE_PATH
from server.http.account_routes import require_system
from server.http.authentication import Principal, require_principal
from server.http.command_endpoint import request_meta
from server.http.identifiers import check_id
from server.http.json_body import read_json_object
from server.http.problems import Problem, from_domain_error
from server.personal_data import AccountStillEnabled, Erasure
from server.services import Services

__all__ = ["ERASURE_ROUTES"]


def erasure_requests(services: Services) -> ErasureRequests:
    """The erasure requests as this server reads them: the trials a person took part in
    from its directory, each trial's charter and members from its state cache."""

    async def trials_of(user_id: str) -> list[str]:
        return [entry.trial_id for entry in services.directory.trials_of(user_id)]

    async def workspace_of(trial_id: str) -> TrialState:
        return (await services.states.load(WORKSPACE, trial_stream(trial_id))).state

    return ErasureRequests(
        services.store,
        services.checkpoints.engine,
        services.accounts,
        services.account_log,
        trials_of=trials_of,
        workspace_of=workspace_of,
    )


async def _account(services: Services, request: Request) -> User:
    user_id = check_id(str(request.path_params["user_id"]), "user_id")
    user = await services.accounts.get(user_id)
    if user is None:
        raise Problem(404, "account-not-found", f"there is no account {user_id!r}")
    return user


async def _body(request: Request, name: str) -> Any:
    """The body's one field ``name`` (present; its type is checked by the caller)."""
    body = await read_json_object(request)
    unknown = sorted(body.keys() - {name})
    if unknown:
        raise Problem(422, "unknown-fields", f"unexpected fields {unknown}; send [{name!r}]")
    if name not in body:
        raise Problem(422, "invalid-body", f"{name} is required")
    return body[name]


async def _reason(request: Request) -> str:
    reason = await _body(request, "reason")
    if not isinstance(reason, str) or not reason.strip():
        raise Problem(422, "invalid-body", "reason is required: non-blank text")
    return reason


def _approval(approval: ErasureApproval) -> dict[str, Any]:
    return {
        "trial_id": approval.trial_id,
        "approved_by": approval.approved_by,
        "vouched_by": approval.vouched_by,
    }


async def request_view(
    services: Services, requests: ErasureRequests, folded: FoldedRequest
) -> dict[str, Any]:
    """A pending request as the API shows it: its reason, requester, trials, approvals
    and, for each approval still missing, the roles that give it and who holds them."""
    pending = folded.pending
    if pending is None:
        return {"user_id": folded.user_id, "status": "none"}
    awaiting = []
    for trial_id in pending.awaiting:
        awaiting.append(await _awaiting(services, requests, pending, trial_id))
    return {
        "user_id": folded.user_id,
        "status": "pending",
        "reason": pending.reason,
        "requested_by": pending.requested_by,
        "requested_at": folded.requested_at.isoformat() if folded.requested_at else None,
        "vouched_by": pending.vouched_by,
        "trials": list(pending.trials),
        "approvals": [_approval(approval) for approval in pending.approvals],
        "awaiting": awaiting,
    }


async def _awaiting(
    services: Services, requests: ErasureRequests, pending: PendingErasure, trial_id: str | None
) -> dict[str, Any]:
    if trial_id is None:
        admins = services.authorizer.who_can_system(SystemAction.ADMINISTER_ACCOUNTS)
        approvers = eligible_approvers(pending, None, None, admins)
        return {"trial_id": None, "roles": ["system_admin"], "approvers": list(approvers)}
    trial = await requests.workspace_of(trial_id)
    roles = sorted(role.value for role in trial.charter.erasure_approvers)
    approvers = eligible_approvers(pending, trial_id, trial)
    return {"trial_id": trial_id, "roles": roles, "approvers": list(approvers)}


def _erased(user_id: str, erasure: Erasure, approvals: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "status": "erased",
        "position": erasure.position,
        "keys_erased": erasure.keys_erased,
        "snapshots_dropped": erasure.snapshots_dropped,
        "approvals": approvals,
    }


def _account_enabled(refused: AccountStillEnabled) -> Problem:
    return Problem(409, "account-enabled", str(refused), title="Account still enabled")


async def request_erasure(request: Request) -> Response:
    """``{reason}``: a system admin asks that the person's personal data be erased;
    202 with the request and who must still approve it."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    require_system(services, principal, SystemAction.ADMINISTER_ACCOUNTS)
    user = await _account(services, request)
    meta = request_meta(request, principal)
    reason = await _reason(request)
    requests = erasure_requests(services)
    try:
        folded = await requests.request(
            user, reason=reason, requested_by=principal.user.user_id, meta=meta
        )
    except AccountStillEnabled as refused:
        raise _account_enabled(refused) from None
    return JSONResponse(await request_view(services, requests, folded), status_code=202)


async def approve_erasure(request: Request) -> Response:
    """``{trial_id}``: approve the pending erasure for that trial (``null``: as the second
    system admin); 202 while approvals are missing, 200 once it is carried out."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    user = await _account(services, request)
    meta = request_meta(request, principal)
    trial_id = await _body(request, "trial_id")
    if trial_id is not None and not isinstance(trial_id, str):
        raise Problem(422, "invalid-body", "trial_id is a trial's id, or null for no trial")
    if trial_id is not None:
        check_id(trial_id, "trial_id")
    requests = erasure_requests(services)
    try:
        approval = await requests.approve(
            user, trial_id=trial_id, approver=principal.user, meta=meta
        )
    except NotAnErasureApprover as refused:
        problem = from_domain_error(refused)
        problem.extensions |= {"trial_id": refused.trial_id, "roles": list(refused.roles)}
        raise problem from None
    except AccountStillEnabled as refused:
        raise _account_enabled(refused) from None
    if approval.erasure is None:
        folded = await requests.read(user.user_id)
        return JSONResponse(await request_view(services, requests, folded), status_code=202)
    await services.follower.wait_for(approval.erasure.position)  # its views read [erased]
    approvals = [_approval(given) for given in approval.approvals]
    return JSONResponse(_erased(user.user_id, approval.erasure, approvals))


async def withdraw_erasure(request: Request) -> Response:
    """``{reason}``: a system admin withdraws the pending erasure; nothing is erased."""
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=True)
    require_system(services, principal, SystemAction.ADMINISTER_ACCOUNTS)
    user = await _account(services, request)
    meta = request_meta(request, principal)
    reason = await _reason(request)
    position = await erasure_requests(services).withdraw(
        user.user_id, reason=reason, withdrawn_by=principal.user.user_id, meta=meta
    )
    return JSONResponse({"user_id": user.user_id, "status": "withdrawn", "position": position})


async def _may_approve(
    services: Services, requests: ErasureRequests, principal: Principal, pending: PendingErasure
) -> tuple[str | None, ...]:
    user_id = principal.user.user_id
    admin = services.authorizer.allows_system(user_id, SystemAction.ADMINISTER_ACCOUNTS)
    return await requests.approvable_by(pending, user_id, system_admin=admin)


async def show_erasure(request: Request) -> Response:
    """The pending request of the account, with its approvals and who may still approve
    (``status: none`` when there is none): for system admins and account auditors, and
    for anyone who may approve it."""
    services: Services = request.app.state.services
    principal = await require_principal(request)
    user = await _account(services, request)
    requests = erasure_requests(services)
    folded = await requests.read(user.user_id)
    reader = services.authorizer.allows_system(
        principal.user.user_id, SystemAction.READ_ACCOUNT_TRAILS
    )
    pending = folded.pending
    if not reader and (
        pending is None or not await _may_approve(services, requests, principal, pending)
    ):
        require_system(services, principal, SystemAction.READ_ACCOUNT_TRAILS)
    return JSONResponse(await request_view(services, requests, folded))


async def list_erasure_requests(request: Request) -> Response:
    """``?awaiting=me``: the pending requests the caller may approve, each with
    ``yours`` (the trials, or ``null``, they may approve it for). Without it: every
    pending request, for system admins and account auditors."""
    services: Services = request.app.state.services
    principal = await require_principal(request)
    awaiting = request.query_params.get("awaiting")
    unknown = sorted(set(request.query_params) - {"awaiting"})
    if unknown or awaiting not in (None, "me"):
        raise Problem(
            422,
            "malformed-parameter",
            "the only parameter is awaiting=me (the requests you may approve)",
        )
    if awaiting is None:
        require_system(services, principal, SystemAction.READ_ACCOUNT_TRAILS)
    requests = erasure_requests(services)
    listed = []
    for folded in await requests.pending_requests():
        assert folded.pending is not None
        view = await request_view(services, requests, folded)
        if awaiting is not None:
            yours = await _may_approve(services, requests, principal, folded.pending)
            if not yours:
                continue
            view["yours"] = list(yours)
        listed.append(view)
    return JSONResponse(listed)


ERASURE_ROUTES: list[BaseRoute] = [
    Route(ERASURE_PATH, request_erasure, methods=["POST"]),
    Route(ERASURE_PATH, show_erasure, methods=["GET"]),
    Route(f"{ERASURE_PATH}/approvals", approve_erasure, methods=["POST"]),
    Route(f"{ERASURE_PATH}/withdrawal", withdraw_erasure, methods=["POST"]),
    Route(ERASURE_INBOX_PATH, list_erasure_requests, methods=["GET"]),
]
"""The erasure routes (the app mounts them beside the administration API's)."""
