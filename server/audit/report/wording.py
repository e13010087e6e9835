"""How the report words times and people: UTC to the second, printed names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.personal_data import ERASED
from domain.timestamps import reading_text
from domain.workspace import TrialState


def utc(moment: str | datetime | None) -> str:
    """A time as the report prints it, as people read times everywhere: UTC to the second
    (``2026-05-01 14:03:22 UTC``), from the log's text form or an aware datetime."""
    if moment is None or moment == "":
        return ""
    return reading_text(moment)


class Names:
    """People by printed name, as the workspace knows them (``[erased]`` once their
    personal data is erased), never by user id."""

    def __init__(self, workspace: TrialState | None) -> None:
        self._members = workspace.members if workspace is not None else {}

    def __call__(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        member = self._members.get(user_id)
        if member is not None:
            return member.printed_name or ERASED
        if user_id.startswith("operator:"):
            return "the server's operator"
        return "someone outside the trial"

    def all(self, user_ids: Iterable[str]) -> str:
        return ", ".join(self(user_id) for user_id in user_ids)
