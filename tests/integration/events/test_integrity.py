"""The log cannot be changed quietly: triggers refuse it, and verification finds it."""

from __future__ import annotations

import pytest

from events import EventStore, NewEvent, StreamAppend

from .conftest import RawSql, execute_raw


async def _seed(store: EventStore, count: int = 6) -> None:
    for i in range(count):
        await store.append(StreamAppend(f"s-{i % 2}", [NewEvent("E", {"i": i})]))


async def _disable_append_only(raw_sql: RawSql, is_postgres: bool) -> None:
    if is_postgres:
        await raw_sql("ALTER TABLE events DISABLE TRIGGER USER")
    else:
        await raw_sql("DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete")


async def test_an_intact_log_verifies(store: EventStore) -> None:
    await _seed(store)
    progress: list[tuple[int, int]] = []
    report = await store.verify(progress=lambda done, head: progress.append((done, head)))
    assert report.ok
    assert report.checked == 6
    assert report.head_position == 6
    assert report.head_hash == (await store.read_all(after=5))[0].hash
    assert progress[-1] == (6, 6)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET data = '{}' WHERE position = 2", "DELETE FROM events WHERE position = 2"],
)
async def test_the_database_refuses_to_change_or_delete_events(
    store: EventStore, raw_sql: RawSql, statement: str
) -> None:
    await _seed(store)
    with pytest.raises(Exception, match="append-only"):
        await raw_sql(statement)
    assert (await store.verify()).ok


@pytest.mark.postgres
async def test_postgres_refuses_truncate(postgres_url: str) -> None:
    # SQLite has no TRUNCATE (its "DELETE FROM events" is refused above).
    with pytest.raises(Exception, match="append-only"):
        await execute_raw(postgres_url, "TRUNCATE events")


async def test_a_changed_byte_is_found_at_its_position(
    store: EventStore, raw_sql: RawSql, is_postgres: bool
) -> None:
    await _seed(store)
    await _disable_append_only(raw_sql, is_postgres)
    await raw_sql("""UPDATE events SET data = '{"i":40}' WHERE position = 4""")
    report = await store.verify()
    assert (report.first_bad_position, report.checked) == (4, 3)
    assert report.problem is not None
    assert "content" in report.problem


async def test_a_deleted_event_is_found_at_its_position(
    store: EventStore, raw_sql: RawSql, is_postgres: bool
) -> None:
    await _seed(store)
    await _disable_append_only(raw_sql, is_postgres)
    await raw_sql("DELETE FROM events WHERE position = 3")
    report = await store.verify()
    assert report.first_bad_position == 3


async def test_two_swapped_events_are_found(
    store: EventStore, raw_sql: RawSql, is_postgres: bool
) -> None:
    await _seed(store)
    await _disable_append_only(raw_sql, is_postgres)
    # Swap the contents of positions 2 and 3, keeping the positions themselves in place.
    await raw_sql(
        "UPDATE events SET position = -2 WHERE position = 2",
        "UPDATE events SET position = 2 WHERE position = 3",
        "UPDATE events SET position = 3 WHERE position = -2",
    )
    report = await store.verify()
    assert report.first_bad_position == 2


async def test_a_rehashed_forgery_breaks_the_link_to_the_next_event(
    store: EventStore, raw_sql: RawSql, is_postgres: bool
) -> None:
    await _seed(store)
    await _disable_append_only(raw_sql, is_postgres)
    (target,) = [e for e in await store.read_stored() if e.position == 2]
    from dataclasses import replace

    forged = replace(target, data_json='{"i":99}')
    await raw_sql(
        f"UPDATE events SET data = '{forged.data_json}', hash = '{forged.computed_hash()}' "
        "WHERE position = 2"
    )
    report = await store.verify()
    assert report.first_bad_position == 3
    assert report.problem is not None
    assert "prev_hash" in report.problem
