"""Ids a client chooses or names in a path: they become part of stream names."""

from __future__ import annotations

import re

from starlette.requests import Request

from server.http.problems import Problem

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""1-64 letters, digits, '.', '_' or '-', starting with a letter or digit: no slashes, so
an id can never reach into another stream."""

_ID_PARAMETERS = (
    "trial_id",
    "amendment_id",
    "motion_id",
    "dispute_id",
    "subject_id",
    "invitation_id",
)

BODY_IDS = frozenset({"organization_id", "subject_id"})
"""Body fields of commands that name a thing by its id (ids of new things aside, which
the routes check as they choose them): recorded as sent, so held to the same pattern."""


def check_id(value: str, what: str) -> str:
    """``value`` if it is a well-formed id, else a 422 problem naming ``what``."""
    if not ID_PATTERN.fullmatch(value):
        raise Problem(
            422,
            "malformed-id",
            f"{what} {value[:80]!r} must be 1-64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit",
        )
    return value


def path_params(request: Request) -> dict[str, str]:
    """The request's path parameters, ids checked."""
    params = {name: str(value) for name, value in request.path_params.items()}
    for name in _ID_PARAMETERS:
        if name in params:
            check_id(params[name], name)
    return params
