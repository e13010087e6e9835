"""Clearing the run of recent commits (after an erasure: events decoded before may hold a
name in clear) sends subscribers to the database until the writer publishes again."""

from __future__ import annotations

from events.reading import decode
from events.recent import RecentEvents
from events.upcasting import Upcasters
from tests.unit.events.test_recent import _positions, _rows


def test_a_cleared_run_answers_nothing_and_then_keeps_what_follows() -> None:
    recent = RecentEvents(lambda rows: decode(rows, Upcasters()))
    recent.publish(_rows(1, 3))
    assert _positions(recent.after(0, 10)) == [1, 2, 3]  # decoded, kept decoded
    recent.clear()
    assert recent.after(0, 10) is None
    assert recent.after(2, 10) is None  # the database is read instead
    recent.publish(_rows(4, 2))
    assert recent.after(2, 10) is None  # not in memory any more
    assert _positions(recent.after(3, 10)) == [4, 5]
