"""Times and dates as the domain records them: ISO-8601 text, never the clock.

Commands carry ``datetime``/``date`` values chosen by the caller; events store their
text form so they stay plain JSON. Instants are written like the log's envelope times:
UTC, microseconds, ``Z`` suffix, so they sort and compare as text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.errors import TimestampWithoutZone


def instant_text(moment: datetime, what: str) -> str:
    """The text form of an aware ``moment``; a naive one is refused, naming ``what``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimestampWithoutZone(f"{what} must carry a time zone, got {moment.isoformat()}")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_instant(text: str) -> datetime:
    """Inverse of :func:`instant_text`: an aware UTC datetime."""
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)


def reading_text(moment: datetime | str) -> str:
    """A time as people read it everywhere (pages, PDFs, documents): the log's UTC to the
    second, ``2026-12-04 16:20:45 UTC``. Text is read as ISO-8601 (``Z`` or an offset,
    converted to UTC; no zone is UTC); text that is not a time is returned as it is."""
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment.strip())
        except ValueError:
            return moment
    else:
        parsed = moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def date_text(day: date) -> str:
    """The text form of a calendar date (``YYYY-MM-DD``); a datetime counts by its date."""
    if isinstance(day, datetime):
        day = day.date()
    return day.isoformat()


AHEAD_OF_UTC = timedelta(hours=14)
"""The furthest any time zone is ahead of UTC (UTC+14, the Line Islands)."""
BEHIND_UTC = timedelta(hours=12)
"""The furthest any time zone is behind UTC (UTC-12, Baker Island)."""


def latest_date_anywhere(now: datetime, what: str) -> date:
    """The latest date that is today somewhere on Earth at the instant ``now`` (a naive
    ``now`` is refused, naming ``what``): a course completed this morning in Auckland is
    not in the future because it is still yesterday in UTC."""
    return (parse_instant(instant_text(now, what)) + AHEAD_OF_UTC).date()


def earliest_date_anywhere(moment: str) -> date:
    """The earliest date that is today somewhere on Earth at ``moment`` (an instant's text
    form): in Honolulu the evening of the 1st is already the 2nd by UTC's calendar."""
    return (parse_instant(moment) - BEHIND_UTC).date()
