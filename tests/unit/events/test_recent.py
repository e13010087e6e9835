"""The in-memory run of this process's last commits, which its own subscribers read first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events.envelope import RecordedEvent
from events.reading import decode
from events.recent import RecentEvents
from events.upcasting import Upcasters

Row = tuple[Any, ...]


def _rows(first: int, count: int) -> list[Row]:
    return [
        (position, "s", position, "E", 1, f'{{"n":{position}}}', "{}",
         "2026-11-21T09:30:00.000000Z", "p", "h")
        for position in range(first, first + count)
    ]  # fmt: skip


class CountingDecode:
    def __init__(self) -> None:
        self.rows_decoded = 0

    def __call__(self, rows: Sequence[Row]) -> list[RecordedEvent]:
        self.rows_decoded += len(rows)
        return decode(rows, Upcasters())


def _positions(events: list[RecordedEvent] | None) -> list[int] | None:
    return None if events is None else [event.position for event in events]


def test_nothing_is_decoded_until_a_subscriber_asks_and_then_only_once() -> None:
    counting = CountingDecode()
    recent = RecentEvents(counting)
    recent.publish(_rows(1, 3))
    recent.publish(_rows(4, 2))
    assert counting.rows_decoded == 0

    assert _positions(recent.after(3, 10)) == [4, 5]
    assert counting.rows_decoded == 2  # the first batch was not needed
    assert _positions(recent.after(3, 10)) == [4, 5]
    assert counting.rows_decoded == 2


def test_a_read_spans_batches_starts_mid_batch_and_stops_at_the_limit() -> None:
    recent = RecentEvents(CountingDecode())
    for first in (1, 4, 6, 9):
        recent.publish(_rows(first, {1: 3, 4: 2, 6: 3, 9: 1}[first]))
    assert _positions(recent.after(1, 5)) == [2, 3, 4, 5, 6]
    assert _positions(recent.after(0, 100)) == list(range(1, 10))
    assert _positions(recent.after(8, 5)) == [9]


def test_positions_not_in_memory_send_the_subscriber_to_the_database() -> None:
    recent = RecentEvents(CountingDecode())
    assert recent.after(0, 10) is None  # nothing committed here yet
    recent.publish(_rows(5, 3))
    assert recent.after(3, 10) is None  # position 4 was committed elsewhere or earlier
    assert recent.after(7, 10) is None  # nothing after 7 yet
    assert _positions(recent.after(4, 10)) == [5, 6, 7]


def test_a_batch_that_does_not_follow_starts_the_run_again() -> None:
    recent = RecentEvents(CountingDecode())
    recent.publish(_rows(1, 3))
    recent.publish(_rows(10, 2))  # another process wrote 4 to 9
    assert recent.after(1, 10) is None
    assert _positions(recent.after(9, 10)) == [10, 11]


def test_old_batches_are_dropped_beyond_the_capacity() -> None:
    recent = RecentEvents(CountingDecode(), capacity=4)
    for first in range(1, 11, 2):
        recent.publish(_rows(first, 2))
    assert recent.after(5, 10) is None
    assert _positions(recent.after(6, 10)) == [7, 8, 9, 10]
