"""Which aggregate a request's path names: the target of a command or a read.

Commands (``server.http.command_routes``) and reads (``server.http.query_routes``) both map path
parameters to a :class:`server.commands.service.Target` through these builders.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.engagement import CommentSubjectKind
from domain.streams import (
    amendment_stream,
    comments_stream,
    dispute_stream,
    motion_stream,
    protocol_stream,
    trial_stream,
)
from server.commands.aggregates import AMENDMENT, COMMENTS, DISPUTE, MOTION, PROTOCOL, WORKSPACE
from server.commands.service import Target
from server.http.problems import Problem


def trial_target(p: Mapping[str, str]) -> Target:
    return Target(WORKSPACE, p["trial_id"], trial_stream(p["trial_id"]))


def protocol_target(p: Mapping[str, str]) -> Target:
    return Target(PROTOCOL, p["trial_id"], protocol_stream(p["trial_id"]))


def amendment_target(p: Mapping[str, str]) -> Target:
    return Target(AMENDMENT, p["trial_id"], amendment_stream(p["trial_id"], p["amendment_id"]))


def motion_target(p: Mapping[str, str]) -> Target:
    return Target(MOTION, p["trial_id"], motion_stream(p["trial_id"], p["motion_id"]))


def dispute_target(p: Mapping[str, str]) -> Target:
    return Target(DISPUTE, p["trial_id"], dispute_stream(p["trial_id"], p["dispute_id"]))


def thread_target(p: Mapping[str, str]) -> Target:
    """The comment thread about a section or an amendment."""
    kind = comment_subject_kind(p["subject_kind"])
    return Target(COMMENTS, p["trial_id"], comments_stream(p["trial_id"], kind, p["subject_id"]))


def comment_subject_kind(text: str) -> CommentSubjectKind:
    """The kind of thing a comment thread is about, named in a path (404 otherwise)."""
    try:
        return CommentSubjectKind(text)
    except ValueError:
        kinds = [kind.value for kind in CommentSubjectKind]
        raise Problem(
            404, "not-found", f"comments are about one of {kinds}, not {text!r}"
        ) from None
