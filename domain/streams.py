"""Stream names: one stream per aggregate instance, all under their trial.

``trial/{trial}`` holds the workspace; the others sit below it, so one prefix selects
everything that happened in a trial.
"""

from __future__ import annotations

from domain.engagement import CommentSubjectKind


def trial_stream(trial_id: str) -> str:
    """The trial's workspace: organizations, members, roles, charter."""
    return f"trial/{trial_id}"


def protocol_stream(trial_id: str) -> str:
    """The trial's protocol: sections, revisions, versions."""
    return f"trial/{trial_id}/protocol"


def amendment_stream(trial_id: str, amendment_id: str) -> str:
    """One amendment."""
    return f"trial/{trial_id}/amendment/{amendment_id}"


def motion_stream(trial_id: str, motion_id: str) -> str:
    """One motion."""
    return f"trial/{trial_id}/motion/{motion_id}"


def dispute_stream(trial_id: str, dispute_id: str) -> str:
    """One dispute."""
    return f"trial/{trial_id}/dispute/{dispute_id}"


def comments_stream(trial_id: str, kind: CommentSubjectKind, subject_id: str) -> str:
    """The comment thread about one section or amendment."""
    return f"trial/{trial_id}/comments/{kind.value}/{subject_id}"
