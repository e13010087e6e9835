"""The event store benchmark's workload, shared by every subject it measures."""

from __future__ import annotations

CALLERS = 16
BATCH = 100
PAYLOAD = {"section": "5.2", "text": "Participants aged 18 to 65 with a confirmed diagnosis."}


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")
