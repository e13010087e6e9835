"""The administration of accounts: ``/api/accounts``.

Every route asks Casbin whether the caller's system roles allow it
(:meth:`rbac.Authorizer.allows_system`): administering accounts needs ``system_admin``,
reading an account's trail ``system_admin`` or ``account_auditor``. A denial is 403
``system-role-required`` naming the roles that would do. Bodies are closed JSON objects;
a missing, unknown or ill-typed field is 422 naming it, and nothing is recorded. Each
change is recorded in the account's stream with the request's meta (who, through which
session or token, the request id) before the tables change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from domain.account_events import SystemRole
from events import RecordedEvent
from rbac import SYSTEM_PERMISSIONS, SystemAction
from server.accounts.account_training import (
    AccountTraining,
    CompletionInFuture,
    NoSuchAttestation,
    SelfAttestation,
    TrainingRefused,
)
from server.accounts.passwords import PasswordTooWeak, one_time_password
from server.accounts.system_roles import (
    ReasonRequired,
    SystemRoleRefused,
    SystemRoles,
    UnknownAccount,
)
from server.accounts.users import (
    AccountErased,
    NothingToChange,
    UnknownUser,
    User,
    UsernameTaken,
)
from server.http.account_openapi import ACCOUNT_OPENAPI_PATHS, ACCOUNT_PATH, ACCOUNTS_PATH
from server.http.authentication import Principal, require_principal
from server.http.command_endpoint import request_meta
from server.http.identifiers import check_id
from server.http.json_body import read_json_object
from server.http.problems import Problem
from server.services import Services

__all__ = ["ACCOUNTS_PATH", "ACCOUNT_OPENAPI_PATHS", "ACCOUNT_PATH", "ACCOUNT_ROUTES"]

_NO_STORE = {"Cache-Control": "no-store"}
"""Answers that carry a one-time password are kept by no cache."""

_WHAT = {
    SystemAction.ADMINISTER_ACCOUNTS: "administering accounts",
    SystemAction.READ_ACCOUNT_TRAILS: "reading account trails",
    SystemAction.FOUND_TRIAL: "founding a trial",
}


def roles_allowing(action: SystemAction) -> list[str]:
    """The system roles whose holders may attempt ``action``, by name."""
    return sorted(role.value for role, actions in SYSTEM_PERMISSIONS.items() if action in actions)


def require_system(services: Services, principal: Principal, action: SystemAction) -> None:
    """403 ``system-role-required`` unless Casbin allows the caller ``action``."""
    if services.authorizer.allows_system(principal.user.user_id, action):
        return
    roles = roles_allowing(action)
    raise Problem(
        403,
        "system-role-required",
        f"{_WHAT[action]} needs the system role {' or '.join(roles)}, which a system"
        " administrator grants",
        title="System role required",
        action=action.value,
        roles=roles,
    )


async def _caller(request: Request, action: SystemAction, *, unsafe: bool) -> Principal:
    services: Services = request.app.state.services
    principal = await require_principal(request, unsafe=unsafe)
    require_system(services, principal, action)
    return principal


def _fields(body: Mapping[str, Any], wanted: Mapping[str, type]) -> dict[str, Any]:
    """``body``'s fields, exactly those of ``wanted`` and of their types, else 422."""
    unknown = sorted(body.keys() - wanted.keys())
    if unknown:
        raise Problem(422, "unknown-fields", f"unexpected fields {unknown}; send {sorted(wanted)}")
    for name, kind in wanted.items():
        value = body.get(name)
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            raise Problem(
                422, "invalid-body", f"{name} is required: {_KINDS.get(kind, kind.__name__)}"
            )
    return dict(body)


_KINDS: dict[type, str] = {str: "non-blank text"}


async def _body(request: Request, **wanted: type) -> dict[str, Any]:
    return _fields(await read_json_object(request), wanted)


def _user_id(request: Request) -> str:
    return check_id(str(request.path_params["user_id"]), "user_id")


async def _account(services: Services, user_id: str) -> User:
    user = await services.accounts.get(user_id)
    if user is None:
        raise _no_account(user_id)
    return user


def _no_account(user_id: str) -> Problem:
    return Problem(404, "account-not-found", f"there is no account {user_id!r}")


def account_view(services: Services, user: User) -> dict[str, Any]:
    """One account as the administration API shows it (never a password or its hash)."""
    return {
        "user_id": user.user_id,
        "username": user.username,
        "printed_name": user.printed_name,
        "created_at": user.created_at.isoformat(),
        "disabled": user.disabled,
        "erased": user.erased,
        "must_change_password": user.must_change_password,
        "system_roles": sorted(r.value for r in services.authorizer.system_roles_of(user.user_id)),
    }


async def list_accounts(request: Request) -> Response:
    """Every account, disabled ones included, oldest first: for those who administer
    accounts and those who read their trails (an auditor picks whose trail to read)."""
    services: Services = request.app.state.services
    await _caller(request, SystemAction.READ_ACCOUNT_TRAILS, unsafe=False)
    users = await services.accounts.list_users()
    return JSONResponse([account_view(services, user) for user in users])


async def show_account(request: Request) -> Response:
    """One account, with the training attested for it at system level."""
    services: Services = request.app.state.services
    await _caller(request, SystemAction.ADMINISTER_ACCOUNTS, unsafe=False)
    user = await _account(services, _user_id(request))
    training = await training_view(services, user.user_id)
    return JSONResponse(account_view(services, user) | {"training": training})


async def training_view(services: Services, user_id: str) -> list[dict[str, str]]:
    """The training attested for the account at system level, by course."""
    state = await services.account_log.state(user_id)
    return [
        {"course": t.course, "completed_on": t.completed_on, "attested_by": t.attested_by}
        for t in sorted(state.training.values(), key=lambda t: t.course)
    ]


async def create_account(request: Request) -> Response:
    """``{username, printed_name}`` -> 201: the account and a one-time password that its
    owner must change at the first sign-in."""
    services: Services = request.app.state.services
    principal = await _caller(request, SystemAction.ADMINISTER_ACCOUNTS, unsafe=True)
    meta = request_meta(request, principal)
    body = await _body(request, username=str, printed_name=str)
    password = one_time_password()
    try:
        user = await services.accounts.create_user(
            body["username"],
            body["printed_name"],
            password,
            must_change_password=True,
            meta=meta,
        )
    except UsernameTaken as taken:
        raise Problem(409, "username-taken", str(taken), title="Username taken") from None
    except PasswordTooWeak as weak:  # of the generated password: not the client's doing
        raise RuntimeError(f"a generated one-time password broke the policy: {weak}") from None
    except ValueError as refused:  # the username's or printed name's rules
        raise Problem(422, "invalid-body", str(refused)) from None
    view = account_view(services, user) | {"one_time_password": password}
    return JSONResponse(view, status_code=201, headers=_NO_STORE)


async def disable_account(request: Request) -> Response:
    """``{reason}``: the account can no longer sign in, sign or use its tokens; its
    sessions and live connections end now. Not your own account."""
    services: Services = request.app.state.services
    principal = await _caller(request, SystemAction.ADMINISTER_ACCOUNTS, unsafe=True)
    user_id = _user_id(request)
    meta = request_meta(request, principal)
    body = await _body(request, reason=str)
    if user_id == principal.user.user_id:
        raise Problem(
            409,
            "cannot-disable-yourself",
            "you cannot disable your own account: another system administrator can",
        )
    await _set_disabled(services, user_id, body["reason"], meta, disabled=True)
    services.live.end_user(user_id, "your account was disabled")
    return JSONResponse(account_view(services, await _account(services, user_id)))


async def enable_account(request: Request) -> Response:
    """``{reason}``: a disabled account may sign in again."""
    services: Services = request.app.state.services
    principal = await _caller(request, SystemAction.ADMINISTER_ACCOUNTS, unsafe=True)
    user_id = _user_id(request)
    meta = request_meta(request, principal)
    body = await _body(request, reason=str)
    await _set_disabled(services, user_id, body["reason"], meta, disabled=False)
    return JSONResponse(account_view(services, await _account(services, user_id)))


async def _set_disabled(
    services: Services, user_id: str, reason: str, meta: Mapping[str, Any], *, disabled: bool
) -> None:
    change = services.accounts.disable if disabled else services.accounts.enable
    try:
        await change(user_id, reason=reason, meta=meta)
    except UnknownUser:
        raise _no_account(user_id) from None
    except AccountErased as erased:
        raise _account_erased(erased) from None
    except NothingToChange as same:
        raise Problem(409, "nothing-to-change", str(same)) from None
    except ValueError as refused:  # the reason
        raise Problem(422, "invalid-body", f"reason: {refused}") from None


async def reset_password(request: Request) -> Response:
    """``{}`` -> a one-time password for the account, to be changed at its next sign-in
    before anything else; every session of the account ends. Not your own (change it)."""
    services: Services = request.app.state.services
    principal = await _caller(request, SystemAction.ADMINISTER_ACCOUNTS, unsafe=True)
    user_id = _user_id(request)
    meta = request_meta(request, principal)
    await _body(request)
    if user_id == principal.user.user_id:
        raise Problem(
            409,
            "cannot-reset-own-password",
            "change your own password with POST /api/session/password (the current one re-entered)",
        )
    try:
        password = await services.accounts.reset_password(user_id, meta=meta)
    except UnknownUser:
        raise _no_account(user_id) from None
    except AccountErased as erased:
        raise _account_erased(erased) from None
    return JSONResponse({"one_time_password": password}, headers=_NO_STORE)


def _system_role(value: Any, where: str) -> SystemRole:
    known = [role.value for role in SystemRole]
    if not isinstance(value, str) or value not in known:
        raise Problem(
            422, "unknown-system-role", f"{where} {str(value)[:40]!r} is not one of {known}"
        )
    return SystemRole(value)


def _refused(error: SystemRoleRefused | TrainingRefused) -> Problem:
    if isinstance(error, UnknownAccount):
        return _no_account(error.user_id)
    if isinstance(error, ReasonRequired):
        return Problem(422, "invalid-body", f"reason: {error}")
    if isinstance(error, SelfAttestation):
        return Problem(403, "self-attested-training", str(error), title="Self-attested training")
    if isinstance(error, CompletionInFuture):
        return Problem(422, "training-date-in-future", f"completed_on: {error}")
    if isinstance(error, NoSuchAttestation):
        return Problem(404, "training-not-attested", str(error))
    if isinstance(error, TrainingRefused):
        return Problem(422, "invalid-body", f"course: {error}")
    return Problem(409, "system-role-refused", str(error))


async def grant_system_role(request: Request) -> Response:
    """``{role, reason}``: the account receives a system role."""
    return await _change_system_role(request, grant=True)


async def revoke_system_role(request: Request) -> Response:
    """``{reason}``: the account loses the system role named in the path."""
    return await _change_system_role(request, grant=False)


async def _change_system_role(request: Request, *, grant: bool) -> Response:
    services: Services = request.app.state.services
    principal = await _caller(request, SystemAction.ADMINISTER_ACCOUNTS, unsafe=True)
    user_id = _user_id(request)
    meta = request_meta(request, principal)
    if grant:
        body = await _body(request, role=str, reason=str)
        role = _system_role(body["role"], "role")
    else:
        role = _system_role(request.path_params["role"], "the role in the path")
        body = await _body(request, reason=str)
    roles = SystemRoles(services.account_log, services.accounts)
    change = roles.grant if grant else roles.revoke
    try:
        recorded = await change(user_id, role, reason=body["reason"], meta=meta)
    except SystemRoleRefused as refused:
        raise _refused(refused) from None
    await services.authorizer.wait_for(recorded.last_position)
    return JSONResponse(account_view(services, await _account(services, user_id)))


async def attest_training(request: Request) -> Response:
    """``{course, completed_on}``: someone else than the person attests they completed a
    course (not in the future) — the training a founder brings to their trials."""
    services: Services = request.app.state.services
    principal = await _caller(request, SystemAction.ADMINISTER_ACCOUNTS, unsafe=True)
    user_id = _user_id(request)
    meta = request_meta(request, principal)
    body = await _body(request, course=str, completed_on=str)
    try:
        completed_on = date.fromisoformat(body["completed_on"])
    except ValueError:
        raise Problem(
            422,
            "invalid-body",
            f"completed_on {body['completed_on'][:40]!r} must be a date, YYYY-MM-DD",
        ) from None
    training = AccountTraining(services.account_log, services.accounts, clock=services.clock)
    try:
        await training.attest(user_id, body["course"], completed_on, meta=meta)
    except (SystemRoleRefused, TrainingRefused) as refused:
        raise _refused(refused) from None
    return await _training_answer(services, user_id, status=201)


async def withdraw_training(request: Request) -> Response:
    """``{reason}``: a mistaken attestation is withdrawn (the record stays in the log)."""
    services: Services = request.app.state.services
    principal = await _caller(request, SystemAction.ADMINISTER_ACCOUNTS, unsafe=True)
    user_id = _user_id(request)
    meta = request_meta(request, principal)
    body = await _body(request, reason=str)
    course = str(request.path_params["course"])
    training = AccountTraining(services.account_log, services.accounts, clock=services.clock)
    try:
        await training.withdraw(user_id, course, reason=body["reason"], meta=meta)
    except (SystemRoleRefused, TrainingRefused) as refused:
        raise _refused(refused) from None
    return await _training_answer(services, user_id, status=200)


async def _training_answer(services: Services, user_id: str, *, status: int) -> Response:
    training = await training_view(services, user_id)
    return JSONResponse({"user_id": user_id, "training": training}, status_code=status)


def _account_erased(erased: AccountErased) -> Problem:
    return Problem(409, "account-erased", str(erased), title="Account erased")


def trail_entry(event: RecordedEvent) -> dict[str, Any]:
    """One event of an account's trail as the API shows it."""
    return {
        "position": event.position,
        "recorded_at": event.recorded_at.isoformat(),
        "type": event.type,
        "data": event.data,
        "actor": event.meta.get("actor"),
        "via": event.meta.get("via"),
    }


async def account_trail(request: Request) -> Response:
    """Everything recorded of the account, oldest first."""
    services: Services = request.app.state.services
    await _caller(request, SystemAction.READ_ACCOUNT_TRAILS, unsafe=False)
    user_id = _user_id(request)
    trail = await services.account_log.trail(user_id)
    if not trail and await services.accounts.get(user_id) is None:
        raise _no_account(user_id)
    return JSONResponse([trail_entry(event) for event in trail])


ACCOUNT_ROUTES: list[BaseRoute] = [
    Route(ACCOUNTS_PATH, list_accounts, methods=["GET"]),
    Route(ACCOUNTS_PATH, create_account, methods=["POST"]),
    Route(ACCOUNT_PATH, show_account, methods=["GET"]),
    Route(f"{ACCOUNT_PATH}/disable", disable_account, methods=["POST"]),
    Route(f"{ACCOUNT_PATH}/enable", enable_account, methods=["POST"]),
    Route(f"{ACCOUNT_PATH}/password-reset", reset_password, methods=["POST"]),
    Route(f"{ACCOUNT_PATH}/system-roles", grant_system_role, methods=["POST"]),
    Route(f"{ACCOUNT_PATH}/system-roles/{{role}}/revoke", revoke_system_role, methods=["POST"]),
    Route(f"{ACCOUNT_PATH}/training", attest_training, methods=["POST"]),
    Route(f"{ACCOUNT_PATH}/training/{{course}}/withdraw", withdraw_training, methods=["POST"]),
    Route(f"{ACCOUNT_PATH}/trail", account_trail, methods=["GET"]),
]
"""The administration API's routes (the app mounts them with the others)."""
