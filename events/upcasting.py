"""Upcasting: old event shapes are turned into the current shape on read.

Stored rows are never rewritten; the hash always covers what was stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Takes the data of version N and returns the data of version N + 1."""


class Upcasters:
    """A registry from ``(event type, schema version)`` to the step that lifts it one version."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: ``@upcasters.register("SectionRevised", 1)`` lifts v1 data to v2."""

        def add(step: Upcaster) -> Upcaster:
            key = (event_type, from_version)
            if key in self._steps:
                raise ValueError(f"an upcaster for {event_type} v{from_version} already exists")
            self._steps[key] = step
            return step

        return add

    def upcast(
        self, event_type: str, schema_version: int, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Apply every registered step from ``schema_version`` on; return the final version."""
        step = self._steps.get((event_type, schema_version))
        while step is not None:
            data = step(data)
            schema_version += 1
            step = self._steps.get((event_type, schema_version))
        return schema_version, data

    def __bool__(self) -> bool:
        return bool(self._steps)
