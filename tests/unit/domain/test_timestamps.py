"""Times as the domain records them: UTC text from the caller's values, never the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.errors import TimestampWithoutZone
from domain.timestamps import date_text, instant_text, parse_instant


def test_instants_are_written_in_utc_with_microseconds_and_z() -> None:
    paris = timezone(timedelta(hours=1))
    assert instant_text(datetime(2026, 3, 2, 13, 0, tzinfo=paris), "t") == (
        "2026-03-02T12:00:00.000000Z"
    )


def test_the_text_form_reads_back_to_the_same_instant() -> None:
    moment = datetime(2026, 3, 2, 12, 30, 1, 5, tzinfo=UTC)
    assert parse_instant(instant_text(moment, "t")) == moment


def test_text_forms_sort_like_the_instants() -> None:
    early = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    late = datetime(2026, 3, 2, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    assert instant_text(early, "t") < instant_text(late, "t")


def test_a_time_without_zone_is_refused_naming_what_it_was() -> None:
    with pytest.raises(TimestampWithoutZone, match="the deadline must carry a time zone"):
        instant_text(datetime(2026, 3, 2, 12, 0), "the deadline")


def test_dates_are_iso_dates_even_when_given_a_datetime() -> None:
    assert date_text(date(2026, 1, 5)) == "2026-01-05"
    assert date_text(datetime(2026, 1, 5, 23, 0, tzinfo=UTC)) == "2026-01-05"
