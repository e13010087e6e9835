"""The administration API's entries in the OpenAPI document (``/api/accounts``, served by
:mod:`server.http.account_routes`), and the erasure requests' (served by
:mod:`server.http.erasure_routes`)."""

from __future__ import annotations

from typing import Any

from domain.account_events import SystemRole
from server.http.identifiers import ID_PATTERN

ACCOUNTS_PATH = "/api/accounts"
ACCOUNT_PATH = "/api/accounts/{user_id}"
ERASURE_PATH = f"{ACCOUNT_PATH}/personal-data/erasure"
ERASURE_INBOX_PATH = "/api/personal-data/erasure-requests"

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_TEXT = {"type": "string", "minLength": 1}
_USER_ID = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{ID_PATTERN.pattern}$"},
}
_ROLE = {"type": "string", "enum": [role.value for role in SystemRole]}
_ACCOUNT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "user_id": {"type": "string"},
        "username": {"type": "string"},
        "printed_name": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "disabled": {"type": "boolean"},
        "erased": {"type": "boolean"},
        "must_change_password": {"type": "boolean"},
        "system_roles": {"type": "array", "items": _ROLE},
    },
    "required": [
        "user_id", "username", "printed_name", "created_at", "disabled", "erased",
        "must_change_password", "system_roles",
    ],
}  # fmt: skip
_TRAINING = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "course": {"type": "string"},
            "completed_on": {"type": "string", "format": "date"},
            "attested_by": {"type": "string"},
        },
        "required": ["course", "completed_on", "attested_by"],
    },
}
_TRAIL_ENTRY = {
    "type": "object",
    "properties": {
        "position": {"type": "integer"},
        "recorded_at": {"type": "string", "format": "date-time"},
        "type": {"type": "string"},
        "data": {"type": "object"},
        "actor": {"type": ["string", "null"]},
        "via": {"type": ["string", "null"]},
    },
    "required": ["position", "recorded_at", "type", "data", "actor", "via"],
}
_ADMIN = " Needs the system role system_admin."
_WRITE_PROBLEMS = (400, 401, 403, 404, 409, 413, 415, 422)


def _closed(**properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def _operation(
    operation_id: str,
    summary: str,
    answer: tuple[int, str, dict[str, Any]],
    problems: tuple[int, ...],
    *,
    body: dict[str, Any] | None = None,
    path: tuple[dict[str, Any], ...] = (_USER_ID,),
) -> dict[str, Any]:
    status, description, schema = answer
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": list(path),
        "responses": {
            str(status): {
                "description": description,
                "content": {"application/json": {"schema": schema}},
            },
            **{str(problem): _PROBLEM for problem in problems},
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


def _path_text(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _TEXT}


_REASON = _closed(reason=_TEXT)
_WITH_PASSWORD = {
    **_ACCOUNT,
    "properties": {**_ACCOUNT["properties"], "one_time_password": {"type": "string"}},
}
_WITH_TRAINING = {
    **_ACCOUNT,
    "properties": {**_ACCOUNT["properties"], "training": _TRAINING},
}
_TRAINING_ANSWER = {
    "type": "object",
    "properties": {"user_id": {"type": "string"}, "training": _TRAINING},
    "required": ["user_id", "training"],
}

ACCOUNT_OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    ACCOUNTS_PATH: {
        "get": _operation(
            "list_accounts",
            "Every account, disabled ones included." + _ADMIN,
            (200, "OK", {"type": "array", "items": _ACCOUNT}),
            (401, 403),
            path=(),
        ),
        "post": _operation(
            "create_account",
            "Open an account; the answer carries a one-time password its owner must change"
            " at the first sign-in." + _ADMIN,
            (201, "Created", _WITH_PASSWORD),
            (400, 401, 403, 409, 413, 415, 422),
            body=_closed(username=_TEXT, printed_name=_TEXT),
            path=(),
        ),
    },
    ACCOUNT_PATH: {
        "get": _operation(
            "show_account",
            "One account and the training attested for it at system level." + _ADMIN,
            (200, "OK", _WITH_TRAINING),
            (400, 401, 403, 404, 422),
        ),
    },
    f"{ACCOUNT_PATH}/disable": {
        "post": _operation(
            "disable_account",
            "Disable an account (not your own): its sessions, tokens and live connections"
            " stop working now." + _ADMIN,
            (200, "OK", _ACCOUNT),
            _WRITE_PROBLEMS,
            body=_REASON,
        ),
    },
    f"{ACCOUNT_PATH}/enable": {
        "post": _operation(
            "enable_account",
            "Enable a disabled account again." + _ADMIN,
            (200, "OK", _ACCOUNT),
            _WRITE_PROBLEMS,
            body=_REASON,
        ),
    },
    f"{ACCOUNT_PATH}/password-reset": {
        "post": _operation(
            "reset_password",
            "Give an account (not your own) a one-time password, to be changed at its next"
            " sign-in; its sessions end." + _ADMIN,
            (200, "OK", _closed(one_time_password={"type": "string"})),
            _WRITE_PROBLEMS,
            body={"type": "object", "additionalProperties": False},
        ),
    },
    f"{ACCOUNT_PATH}/system-roles": {
        "post": _operation(
            "grant_system_role",
            "Grant a system role (system_admin, trial_creator, account_auditor)." + _ADMIN,
            (200, "OK", _ACCOUNT),
            _WRITE_PROBLEMS,
            body=_closed(role=_ROLE, reason=_TEXT),
        ),
    },
    f"{ACCOUNT_PATH}/system-roles/{{role}}/revoke": {
        "post": _operation(
            "revoke_system_role",
            "Revoke a system role; the last enabled system_admin keeps theirs." + _ADMIN,
            (200, "OK", _ACCOUNT),
            _WRITE_PROBLEMS,
            body=_REASON,
            path=(_USER_ID, {"name": "role", "in": "path", "required": True, "schema": _ROLE}),
        ),
    },
    f"{ACCOUNT_PATH}/training": {
        "post": _operation(
            "attest_account_training",
            "Attest that the person (not you) completed a course, on a date not in the"
            " future: the training a founder brings to a trial." + _ADMIN,
            (201, "Attested", _TRAINING_ANSWER),
            _WRITE_PROBLEMS,
            body=_closed(course=_TEXT, completed_on={"type": "string", "format": "date"}),
        ),
    },
    f"{ACCOUNT_PATH}/training/{{course}}/withdraw": {
        "post": _operation(
            "withdraw_account_training",
            "Withdraw a mistaken training attestation, with a reason." + _ADMIN,
            (200, "OK", _TRAINING_ANSWER),
            _WRITE_PROBLEMS,
            body=_REASON,
            path=(_USER_ID, _path_text("course")),
        ),
    },
    f"{ACCOUNT_PATH}/trail": {
        "get": _operation(
            "account_trail",
            "Everything recorded of the account, oldest first. Needs the system role"
            " system_admin or account_auditor.",
            (200, "OK", {"type": "array", "items": _TRAIL_ENTRY}),
            (400, 401, 403, 404, 422),
        ),
    },
}
"""The administration API's entries in the OpenAPI document."""

_NULLABLE_TEXT = {"type": ["string", "null"]}
_APPROVAL = {
    "type": "object",
    "properties": {
        "trial_id": _NULLABLE_TEXT,
        "approved_by": {"type": "string"},
        "vouched_by": _NULLABLE_TEXT,
    },
    "required": ["trial_id", "approved_by", "vouched_by"],
}
_AWAITING = {
    "type": "object",
    "properties": {
        "trial_id": _NULLABLE_TEXT,
        "roles": {"type": "array", "items": {"type": "string"}},
        "approvers": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["trial_id", "roles", "approvers"],
}
_ERASURE_REQUEST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "user_id": {"type": "string"},
        "status": {"type": "string", "enum": ["none", "pending"]},
        "reason": {"type": "string"},
        "requested_by": {"type": "string"},
        "requested_at": {"type": ["string", "null"], "format": "date-time"},
        "vouched_by": _NULLABLE_TEXT,
        "trials": {"type": "array", "items": {"type": "string"}},
        "approvals": {"type": "array", "items": _APPROVAL},
        "awaiting": {"type": "array", "items": _AWAITING},
    },
    "required": ["user_id", "status"],
}
_ERASED = _closed(
    user_id={"type": "string"},
    status={"type": "string", "enum": ["erased"]},
    position={"type": "integer"},
    keys_erased={"type": "integer"},
    snapshots_dropped={"type": "integer"},
    approvals={"type": "array", "items": _APPROVAL},
)
_AWAITING_YOU = {
    **_ERASURE_REQUEST,
    "properties": {**_ERASURE_REQUEST["properties"], "yours": {"type": "array"}},
}
_ERASURE_PROBLEMS = (400, 401, 403, 404, 409, 413, 415, 422)


def _with_202(operation: dict[str, Any], description: str, schema: dict[str, Any]) -> Any:
    operation["responses"]["202"] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    return operation


ERASURE_OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    ERASURE_PATH: {
        "post": _operation(
            "request_personal_data_erasure",
            "Request that the person's personal data (their names and username, sealed in"
            " the log) be erased, with a reason; the account must be disabled. Nothing is"
            " erased until each trial the person took part in has approved (a member its"
            " charter's erasure_approvers names), or a second system admin when they took"
            " part in none. The answer says who must still approve." + _ADMIN,
            (202, "Requested, awaiting approval", _ERASURE_REQUEST),
            _ERASURE_PROBLEMS,
            body=_REASON,
        ),
        "get": _operation(
            "show_personal_data_erasure",
            "The pending erasure request of the account (status none when there is none),"
            " its approvals and who may still approve. Needs the system role system_admin"
            " or account_auditor, or to be one who may approve it.",
            (200, "OK", _ERASURE_REQUEST),
            (400, 401, 403, 404, 422),
        ),
    },
    f"{ERASURE_PATH}/approvals": {
        "post": _with_202(
            _operation(
                "approve_personal_data_erasure",
                "Approve the pending erasure for a trial the request names (trial_id null:"
                " as the second system admin, when the person took part in no trial)."
                " Needs a role the trial's charter names; neither the requester nor the"
                " person approves. The approval that completes the set carries the erasure"
                " out: 200 once this server shows the names as [erased].",
                (200, "Erased", _ERASED),
                _ERASURE_PROBLEMS,
                body={
                    "type": "object",
                    "properties": {"trial_id": _NULLABLE_TEXT},
                    "required": ["trial_id"],
                    "additionalProperties": False,
                },
            ),
            "Approved, other approvals still missing",
            _ERASURE_REQUEST,
        ),
    },
    f"{ERASURE_PATH}/withdrawal": {
        "post": _operation(
            "withdraw_personal_data_erasure",
            "Withdraw the pending erasure, with a reason: nothing is erased." + _ADMIN,
            (
                200,
                "Withdrawn",
                _closed(
                    user_id={"type": "string"},
                    status={"type": "string", "enum": ["withdrawn"]},
                    position={"type": "integer"},
                ),
            ),
            _ERASURE_PROBLEMS,
            body=_REASON,
        ),
    },
    ERASURE_INBOX_PATH: {
        "get": _operation(
            "list_personal_data_erasure_requests",
            "With awaiting=me: the pending erasure requests you may approve, each with the"
            " trials (or null) you may approve it for (yours). Without it: every pending"
            " request, for system admins and account auditors.",
            (200, "OK", {"type": "array", "items": _AWAITING_YOU}),
            (400, 401, 403, 422),
            path=(
                {
                    "name": "awaiting",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["me"]},
                },
            ),
        ),
    },
}
"""The erasure requests' entries in the OpenAPI document."""
