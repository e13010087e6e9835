"""What the command service refuses with besides the domain's own rules.

Each means that nothing was recorded. The HTTP layer maps them to problems
(``server/http/problems.py``); the CLI and the demo see them as they are.
"""

from __future__ import annotations


class CommandNotRecorded(Exception):
    """The command was not recorded, for a reason of the log's rather than the trial's."""


class StaleVersion(CommandNotRecorded):
    """The caller pinned a version of the stream (If-Match) that is no longer current."""

    def __init__(self, stream_id: str, expected: int, current: int) -> None:
        super().__init__(
            f"{stream_id} is at version {current}, not {expected}: reload it and decide again"
        )
        self.stream_id, self.expected, self.current = stream_id, expected, current


class ConcurrentChange(CommandNotRecorded):
    """Other writers kept changing the stream while the command was decided, every time."""

    def __init__(self, stream_id: str) -> None:
        super().__init__(f"{stream_id} kept changing while this command was decided; try again")
        self.stream_id = stream_id


class IdempotencyKeyReused(CommandNotRecorded):
    """The idempotency key came back with a different request."""

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request; nothing was"
            " recorded. Use a new key for a new request"
        )


class StateWarmingUp(CommandNotRecorded):
    """A stream's state is still being read from the log for the first time (a long
    stream after a restart without a snapshot of it): ask again in a moment."""

    def __init__(self, stream_id: str, folded: int) -> None:
        super().__init__(
            f"{stream_id} is being read from the log ({folded:,} events so far);"
            " ask again in a moment"
        )
        self.stream_id, self.folded = stream_id, folded


class ValueNotRecordable(CommandNotRecorded):
    """A value of the command cannot be written to the log (e.g. an integer beyond the
    range JSON numbers hold exactly)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"a value in the request cannot be recorded in the log: {reason}")
