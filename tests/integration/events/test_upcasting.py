"""Old event shapes are read in their newest shape; the stored rows never change."""

from __future__ import annotations

from typing import Any

from events import NewEvent, StreamAppend, Upcasters, open_store


async def test_old_shapes_are_upcast_on_read_and_never_rewritten(url: str) -> None:
    upcasters = Upcasters()

    @upcasters.register("SectionRevised", 1)
    def split_title(data: dict[str, Any]) -> dict[str, Any]:
        number, _, heading = data["title"].partition(" ")
        return {"section": number, "heading": heading, "text": data["text"]}

    @upcasters.register("SectionRevised", 2)
    def add_base(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "base_revision": None}

    old = await open_store(url)
    await old.append(
        StreamAppend(
            "protocol", [NewEvent("SectionRevised", {"title": "5.2 Inclusion", "text": "Adults"})]
        )
    )
    await old.append(
        StreamAppend(
            "protocol",
            [
                NewEvent(
                    "SectionRevised",
                    {"section": "5.3", "heading": "Exclusion", "text": "None", "base_revision": 1},
                    schema_version=3,
                )
            ],
        )
    )
    await old.close()

    store = await open_store(url, upcasters=upcasters)
    try:
        first, second = await store.read_stream("protocol")
        assert first.schema_version == 3
        assert first.data == {
            "section": "5.2",
            "heading": "Inclusion",
            "text": "Adults",
            "base_revision": None,
        }
        assert second.data["base_revision"] == 1, "current shapes pass through untouched"
        (stored, _) = await store.read_stored()
        assert stored.schema_version == 1
        assert stored.data_json == '{"text":"Adults","title":"5.2 Inclusion"}'
        assert (await store.verify()).ok
    finally:
        await store.close()
