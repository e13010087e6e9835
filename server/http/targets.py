"""Which aggregate a request's path names: the target of a command or a read.

Commands (``server.http.command_routes``) and reads (``server.http.query_routes``) both
map path parameters to a :class:`server.commands.targets.Target` through these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.engagement import CommentSubjectKind
from server.commands import targets
from server.commands.targets import Target
from server.http.problems import Problem

PathTarget = Target[Any]


def trial_target(p: Mapping[str, str]) -> PathTarget:
    return targets.workspace_target(p["trial_id"])


def protocol_target(p: Mapping[str, str]) -> PathTarget:
    return targets.protocol_target(p["trial_id"])


def shared_text_target(p: Mapping[str, str]) -> PathTarget:
    """The shared text of a section of the draft protocol."""
    return targets.shared_text_target(p["trial_id"], p["number"])


def amendment_text_target(p: Mapping[str, str]) -> PathTarget:
    """The shared text of the change an amendment proposes to a section."""
    return targets.amendment_text_target(p["trial_id"], p["amendment_id"], p["number"])


def amendment_target(p: Mapping[str, str]) -> PathTarget:
    return targets.amendment_target(p["trial_id"], p["amendment_id"])


def motion_target(p: Mapping[str, str]) -> PathTarget:
    return targets.motion_target(p["trial_id"], p["motion_id"])


def dispute_target(p: Mapping[str, str]) -> PathTarget:
    return targets.dispute_target(p["trial_id"], p["dispute_id"])


def site_target(p: Mapping[str, str]) -> PathTarget:
    """An investigator site of the trial (an organization of kind site)."""
    return targets.site_target(p["trial_id"], p["site_id"])


def thread_target(p: Mapping[str, str]) -> PathTarget:
    """The comment thread about a section or an amendment."""
    kind = comment_subject_kind(p["subject_kind"])
    return targets.thread_target(p["trial_id"], kind, p["subject_id"])


def comment_subject_kind(text: str) -> CommentSubjectKind:
    """The kind of thing a comment thread is about, named in a path (404 otherwise)."""
    try:
        return CommentSubjectKind(text)
    except ValueError:
        kinds = [kind.value for kind in CommentSubjectKind]
        raise Problem(
            404, "not-found", f"comments are about one of {kinds}, not {text!r}"
        ) from None
