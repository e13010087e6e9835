"""The aggregate a command (or a read) is about: its kind and its stream, ids included.

A target is built from the ids it names, never read back from a stream id: the builders
here are the only way to make one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from domain.amendment import AmendmentState
from domain.dispute import DisputeState
from domain.engagement import CommentSubjectKind, CommentThread
from domain.motion import MotionState
from domain.protocol import ProtocolState
from domain.shared_text import SharedText
from domain.sites import SiteState
from domain.streams import StreamKind, StreamName
from domain.workspace import TrialState
from server.commands.aggregates import (
    AMENDMENT,
    COMMENTS,
    DISPUTE,
    MOTION,
    PROTOCOL,
    SITE,
    TEXT,
    WORKSPACE,
    AggregateKind,
)

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Target(Generic[S]):
    """One aggregate: its kind and its stream."""

    kind: AggregateKind[S]
    stream: StreamName
    stream_id: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stream_id", str(self.stream))

    @property
    def trial_id(self) -> str:
        return self.stream.trial_id


def workspace_target(trial_id: str) -> Target[TrialState]:
    """The trial itself: organizations, members, roles, charter."""
    return Target(WORKSPACE, StreamName(trial_id, StreamKind.WORKSPACE))


def protocol_target(trial_id: str) -> Target[ProtocolState]:
    return Target(PROTOCOL, StreamName(trial_id, StreamKind.PROTOCOL))


def amendment_target(trial_id: str, amendment_id: str) -> Target[AmendmentState]:
    return Target(AMENDMENT, StreamName(trial_id, StreamKind.AMENDMENT, amendment_id))


def motion_target(trial_id: str, motion_id: str) -> Target[MotionState]:
    return Target(MOTION, StreamName(trial_id, StreamKind.MOTION, motion_id))


def dispute_target(trial_id: str, dispute_id: str) -> Target[DisputeState]:
    return Target(DISPUTE, StreamName(trial_id, StreamKind.DISPUTE, dispute_id))


def thread_target(
    trial_id: str, subject_kind: CommentSubjectKind, subject_id: str
) -> Target[CommentThread]:
    """The comment thread about a section or an amendment."""
    stream = StreamName(trial_id, StreamKind.COMMENTS, subject_id, subject_kind)
    return Target(COMMENTS, stream)


def shared_text_target(trial_id: str, number: str) -> Target[SharedText]:
    """The shared text of a section of the draft protocol."""
    return Target(TEXT, StreamName(trial_id, StreamKind.TEXT, number))


def amendment_text_target(trial_id: str, amendment_id: str, number: str) -> Target[SharedText]:
    """The shared text of the change an amendment proposes to a section."""
    amendment = CommentSubjectKind.AMENDMENT
    return Target(TEXT, StreamName(trial_id, StreamKind.TEXT, amendment_id, amendment, number))


def site_target(trial_id: str, site_id: str) -> Target[SiteState]:
    """An investigator site's approvals and activations."""
    return Target(SITE, StreamName(trial_id, StreamKind.SITE, site_id))
