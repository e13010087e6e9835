"""Stream names: one stream per aggregate instance, all under their trial.

``trial/{trial}`` holds the workspace; the others sit below it, so the streams of a trial
are its own and those whose name continues with ``/`` (``trial/t1`` is not below
``trial/t10``). Names are built by the functions here and read back by :func:`parse_stream`
only: nothing else splits a stream id.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.engagement import CommentSubjectKind

TRIAL_SEGMENT = "trial"


class StreamKind(StrEnum):
    """What a stream of a trial holds (the segment after the trial, except the workspace)."""

    WORKSPACE = "workspace"
    PROTOCOL = "protocol"
    AMENDMENT = "amendment"
    MOTION = "motion"
    DISPUTE = "dispute"
    COMMENTS = "comments"
    SITE = "site"
    """An investigator site's approvals and activations (``site/{organization}``)."""
    TEXT = "text"
    """A section's shared text (``text/section/{number}``), or that of an amendment's
    change to one (``text/amendment/{amendment}/{number}``)."""


@dataclass(frozen=True, slots=True)
class StreamName:
    """A stream of a trial, read back from its id."""

    trial_id: str
    kind: StreamKind
    aggregate_id: str = ""
    """The amendment, motion, dispute or site id; for a comment thread, its subject's id; for a
    shared text, its section's number."""
    subject_kind: CommentSubjectKind | None = None
    """For a comment thread: what it is about; for an amendment's shared text, AMENDMENT."""
    section: str = ""
    """For an amendment's shared text: the section's number (``aggregate_id`` is the
    amendment's id)."""

    @property
    def record(self) -> str:
        """``workspace``, ``protocol``, ``amendment/A-1``, ``comments/section/5.2``: the
        stream's name within its trial."""
        if self.kind is StreamKind.WORKSPACE:
            return "workspace"
        return str(self).removeprefix(trial_stream(self.trial_id) + "/")

    def __str__(self) -> str:
        match self.kind:
            case StreamKind.WORKSPACE:
                return trial_stream(self.trial_id)
            case StreamKind.PROTOCOL:
                return protocol_stream(self.trial_id)
            case StreamKind.COMMENTS:
                assert self.subject_kind is not None
                return comments_stream(self.trial_id, self.subject_kind, self.aggregate_id)
            case StreamKind.TEXT if self.subject_kind is CommentSubjectKind.AMENDMENT:
                return amendment_text_stream(self.trial_id, self.aggregate_id, self.section)
            case StreamKind.TEXT:
                return shared_text_stream(self.trial_id, self.aggregate_id)
            case _:
                return f"{trial_stream(self.trial_id)}/{self.kind.value}/{self.aggregate_id}"


def trial_stream(trial_id: str) -> str:
    """The trial's workspace: organizations, members, roles, charter."""
    return f"{TRIAL_SEGMENT}/{trial_id}"


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


def site_stream(trial_id: str, site_id: str) -> str:
    """One investigator site: its approvals and activations."""
    return f"trial/{trial_id}/site/{site_id}"


def comments_stream(trial_id: str, kind: CommentSubjectKind, subject_id: str) -> str:
    """The comment thread about one section or amendment."""
    return f"trial/{trial_id}/comments/{kind.value}/{subject_id}"


def shared_text_stream(trial_id: str, number: str) -> str:
    """The shared text of one section of the draft protocol."""
    return f"trial/{trial_id}/text/section/{number}"


def amendment_text_stream(trial_id: str, amendment_id: str, number: str) -> str:
    """The shared text of the change an amendment proposes to one section."""
    return f"trial/{trial_id}/text/amendment/{amendment_id}/{number}"


def trial_of(stream_id: str) -> str | None:
    """The trial a stream belongs to, or None for a stream outside every trial (cheaper
    than :func:`parse_stream` when only the trial is wanted)."""
    parts = stream_id.split("/", 2)
    if len(parts) < 2 or parts[0] != TRIAL_SEGMENT or not parts[1]:
        return None
    return parts[1]


def in_trial(stream_id: str, trial_id: str) -> bool:
    """Whether ``stream_id`` is the trial's workspace or one of the streams below it."""
    own = trial_stream(trial_id)
    return stream_id == own or stream_id.startswith(own + "/")


_ONE_ID_KINDS = {
    kind.value: kind
    for kind in (StreamKind.AMENDMENT, StreamKind.MOTION, StreamKind.DISPUTE, StreamKind.SITE)
}


def parse_stream(stream_id: str) -> StreamName | None:
    """The stream a name denotes, or None if no function here builds such a name."""
    parts = stream_id.split("/")
    if len(parts) < 2 or parts[0] != TRIAL_SEGMENT or not parts[1]:
        return None
    trial_id, rest = parts[1], parts[2:]
    if not rest:
        return StreamName(trial_id, StreamKind.WORKSPACE)
    if rest == ["protocol"]:
        return StreamName(trial_id, StreamKind.PROTOCOL)
    if len(rest) == 2 and rest[0] in _ONE_ID_KINDS and rest[1]:
        return StreamName(trial_id, _ONE_ID_KINDS[rest[0]], rest[1])
    if len(rest) == 3 and rest[:2] == [StreamKind.TEXT.value, "section"] and rest[2]:
        return StreamName(trial_id, StreamKind.TEXT, rest[2])
    if len(rest) == 4 and rest[:2] == [StreamKind.TEXT.value, "amendment"] and all(rest[2:]):
        amendment = CommentSubjectKind.AMENDMENT
        return StreamName(trial_id, StreamKind.TEXT, rest[2], amendment, section=rest[3])
    if len(rest) == 3 and rest[0] == StreamKind.COMMENTS.value and rest[2]:
        try:
            subject_kind = CommentSubjectKind(rest[1])
        except ValueError:
            return None
        return StreamName(trial_id, StreamKind.COMMENTS, rest[2], subject_kind)
    return None
