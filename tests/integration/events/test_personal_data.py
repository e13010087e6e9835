"""Personal data sealed under a per-subject key: readable through the store while the key
exists, read as erased once it is erased, never in the stored rows in clear, and the
hash chain unchanged by the erasure (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from events import EventStore, NewEvent, StreamAppend, open_store
from events.canonical import format_timestamp
from events.personal_data import ERASED, UNREADABLE, is_envelope
from tests.integration.events.conftest import RawSql


def _names(event_type: str, data: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    if event_type == "MemberAdded":
        yield "printed_name", f"user:{data['user_id']}"
    if event_type == "SignatureApplied":
        yield "signature.printed_name", f"user:{data['signature']['signer_id']}"


async def _store(url: str) -> EventStore:
    store = await open_store(url)
    store.personal_data.policy = _names
    return store


async def _add_member(store: EventStore, user_id: str, printed_name: str) -> None:
    """Record that ``user_id`` joined trial t2 under ``printed_name``."""
    member = NewEvent("MemberAdded", {"user_id": user_id, "printed_name": printed_name})
    await store.append(StreamAppend("trial/t2", [member]))


async def _record_two_people(store: EventStore) -> None:
    await store.append(
        StreamAppend(
            "trial/t1",
            [
                NewEvent("MemberAdded", {"user_id": "u-1", "printed_name": "Ada Quist"}),
                NewEvent("MemberAdded", {"user_id": "u-2", "printed_name": "Bo Varga"}),
                NewEvent(
                    "SignatureApplied",
                    {"signature": {"signer_id": "u-1", "printed_name": "Ada Quist", "n": 1}},
                ),
            ],
        )
    )


async def test_names_read_back_while_stored_only_as_ciphertext(url: str) -> None:
    store = await _store(url)
    try:
        await _record_two_people(store)
        first, second, signed = await store.read_stream("trial/t1")
        assert first.data == {"user_id": "u-1", "printed_name": "Ada Quist"}
        assert second.data["printed_name"] == "Bo Varga"
        assert signed.data["signature"] == {"signer_id": "u-1", "printed_name": "Ada Quist", "n": 1}
        stored = await store.read_stored()
        assert all("Ada" not in row.data_json and "Varga" not in row.data_json for row in stored)
        assert is_envelope(json.loads(stored[0].data_json)["printed_name"])
        assert (await store.verify()).first_bad_position is None
    finally:
        await store.close()
    reopened = await _store(url)  # keys read from the table, not only from memory
    try:
        live = [event.data for event in await reopened.read_all()]
        assert [live[0]["printed_name"], live[1]["printed_name"]] == ["Ada Quist", "Bo Varga"]
    finally:
        await reopened.close()


async def test_erasing_a_key_erases_that_person_only_and_the_chain_still_holds(url: str) -> None:
    store = await _store(url)
    try:
        await _record_two_people(store)
        before = await store.read_stored()
        assert await store.personal_data.erase(["user:u-1"]) == 1
        assert await store.personal_data.erase(["user:u-1"]) == 0  # already done
        first, second, signed = await store.read_stream("trial/t1")
        assert first.data["printed_name"] == ERASED
        assert signed.data["signature"]["printed_name"] == ERASED
        assert second.data["printed_name"] == "Bo Varga"
        assert await store.read_stored() == before  # the log itself is untouched
        assert (await store.verify()).first_bad_position is None
        # What is recorded about the person afterwards is sealed under a new key.
        await _add_member(store, "u-1", "A. Q.")
        (later,) = await store.read_stream("trial/t2")
        assert later.data["printed_name"] == "A. Q."
    finally:
        await store.close()
    reopened = await _store(url)
    try:
        names = [event.data.get("printed_name") for event in await reopened.read_all()]
        assert names == [ERASED, "Bo Varga", None, "A. Q."]
    finally:
        await reopened.close()


async def test_a_subscriber_sees_the_names_as_the_readers_do(url: str) -> None:
    store = await _store(url)
    try:
        await _record_two_people(store)
        events = []
        async for event in store.subscribe():
            events.append(event)
            if len(events) == 3:
                break
        assert [e.data.get("printed_name") for e in events[:2]] == ["Ada Quist", "Bo Varga"]
    finally:
        await store.close()


async def test_rotation_seals_new_values_under_a_new_key_and_old_ones_still_read(
    url: str,
) -> None:
    store = await _store(url)
    try:
        await _record_two_people(store)
        await store.personal_data.rotate("user:u-2")
        await _add_member(store, "u-2", "Bo V.")
        stored = await store.read_stored()
        keys = {json.loads(row.data_json)["printed_name"]["key"] for row in (stored[1], stored[3])}
        assert len(keys) == 2
        names = [e.data.get("printed_name") for e in await store.read_all()]
        assert names == ["Ada Quist", "Bo Varga", None, "Bo V."]
    finally:
        await store.close()


async def test_a_changed_key_row_reads_as_unreadable_not_as_someone_else(
    url: str, raw_sql: RawSql, is_postgres: bool
) -> None:
    store = await _store(url)
    try:
        await _record_two_people(store)
    finally:
        await store.close()
    other = "'\\x" + "00" * 32 + "'" if is_postgres else "x'" + "00" * 32 + "'"
    await raw_sql(f"UPDATE personal_data_keys SET key = {other} WHERE subject_id = 'user:u-2'")
    reopened = await _store(url)
    try:
        names = [e.data.get("printed_name") for e in await reopened.read_all()]
        assert names == ["Ada Quist", UNREADABLE, None]
    finally:
        await reopened.close()


async def test_a_process_that_read_an_erasure_treats_the_keys_as_erased_before_the_table_does(
    url: str,
) -> None:
    recording, other = await _store(url), await _store(url)
    try:
        await _record_two_people(recording)
        recorded_at = format_timestamp((await recording.read_all())[-1].recorded_at)
        # The other process reads the erasure's event; the recording one has not erased
        # the keys in the table yet.
        other.personal_data.forget(["user:u-1"], at=recorded_at)
        names = [e.data.get("printed_name") for e in await other.read_all()]
        assert names == [ERASED, "Bo Varga", None]
        await _add_member(
            other, "u-1", "A. Q."
        )  # sealed under a new key, not the one about to be erased
        await recording.personal_data.erase(["user:u-1"], made_until=recorded_at)
        names = [e.data.get("printed_name") for e in await recording.read_all()]
        assert names == [ERASED, "Bo Varga", None, "A. Q."]
    finally:
        await other.close()
        await recording.close()
