"""Records that other records refer to: whether they exist, and whose work they are.

A dispute is about an amendment, a section or a motion; a comment about a section or an
amendment; a motion may be about an amendment or a dispute. Each such reference must name
a record the trial has (:func:`require_existing`). The server looks the record up and
hands the domain what it found as a :class:`SubjectRecord`; the domain decides with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import SubjectNotFound


class RecordKind(StrEnum):
    """The kinds of record that others refer to."""

    AMENDMENT = "amendment"
    SECTION = "section"
    MOTION = "motion"
    DISPUTE = "dispute"


MOTION_SUBJECT_KINDS = (RecordKind.AMENDMENT, RecordKind.DISPUTE, RecordKind.MOTION)
"""What a motion's ``subject`` may name (by id): an amendment, a dispute or another motion."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectRecord:
    """What the trial holds of one referred-to record.

    ``authors`` is whose work it is: an amendment's authors (its opener and everyone who
    wrote its content), the author of a section's current text (and, when a merged
    amendment wrote it, that amendment's authors), a motion's mover. ``organizations``
    are the organizations those authors belong to in the trial."""

    kind: RecordKind
    record_id: str
    exists: bool
    authors: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return f"{self.kind.value} {self.record_id}"


def require_existing(record: SubjectRecord, referrer: str) -> None:
    """Refuse a reference to a record the trial does not have; ``referrer`` names what
    refers to it (for the message)."""
    if not record.exists:
        raise SubjectNotFound(f"{referrer} refers to {record}, which this trial does not have")


def require_any_existing(records: tuple[SubjectRecord, ...], subject: str, referrer: str) -> None:
    """Refuse a reference that names none of ``records`` (the kinds of record it may
    name, each looked up by the same id)."""
    if not any(record.exists for record in records):
        kinds = " or ".join(record.kind for record in records)
        raise SubjectNotFound(
            f"{referrer} refers to {subject!r}, which is no {kinds} of this trial"
        )
