"""What the report prints, in reading order, as plain data: the hand-over to the process
that lays it out (:mod:`.layout_process`).

The parts write to a :class:`ReportScript` (headings, labelled lines, tables, texts,
tracked changes) on the server, where the trial's states are; only strings, numbers and
lists of them leave it (``marshal`` refuses anything else), so the layout's process holds
what the report shows and nothing of the trial's states, and ReportLab is never imported
by the server to make a report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.protocol_diff import Run

Step = tuple[Any, ...]
"""One thing printed: the name of a :class:`server.audit.report.layout.ReportLayout`
method, then its arguments (plain data)."""


class ReportScript:
    """The report's steps, recorded in reading order (one owner, mutable)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.steps: list[Step] = []

    def heading(self, text: str, size: float = 14) -> None:
        self.steps.append(("heading", text, size))

    def subheading(self, text: str) -> None:
        self.steps.append(("subheading", text))

    def line_of(self, label: str, value: object) -> None:
        self.steps.append(("line_of", label, str(value)))

    def note(self, text: str) -> None:
        """A sentence of explanation, in small type."""
        self.steps.append(("note", text))

    def text(self, label: str, value: str) -> None:
        """A text as written (a section's, a comment's), set apart under its label."""
        self.steps.append(("text", label, value))

    def tracked(self, label: str, runs: Sequence[Run]) -> None:
        """Tracked changes: each run as (mark, text)."""
        self.steps.append(("tracked", label, [(run.mark.value, run.text) for run in runs]))

    def fixed(self, value: str) -> None:
        """Text to be read character for character (a signed note, a key)."""
        self.steps.append(("fixed", value))

    def rows(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float] | None = None,
        *,
        empty: str = "none",
    ) -> None:
        """A table under a row of headings; ``widths`` in proportion (equal without)."""
        self.steps.append(
            (
                "rows",
                list(headings),
                [[str(value) for value in row] for row in rows],
                None if widths is None else list(widths),
                empty,
            )
        )

    def fields(self, values: Mapping[str, object]) -> None:
        for label, value in values.items():
            self.line_of(label, value)

    def new_page(self) -> None:
        self.steps.append(("new_page",))
