"""An auditor compares protocol versions and moments: tracked changes and clean text."""

from __future__ import annotations

import httpx

from server.services import Services
from tests.integration.server.conftest import Api


async def test_the_diff_from_the_draft_to_version_1_tracks_the_revised_section(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    [drafted] = await services.store.read_all(types=["ProtocolDrafted"])
    response = await app_client.get(
        f"{trial}/audit/diff",
        params={"from": str(drafted.position), "to": "v1"},
        headers=await as_user("elena"),
    )
    assert response.status_code == 200, response.text
    diff = response.json()
    assert diff["from"]["current_version"] == 0
    assert diff["to"]["version"] == 1
    [section] = diff["sections"]
    assert (section["number"], section["change"]) == ("5.3", "changed")
    inserted = [run["text"] for run in section["tracked_text"] if run["mark"] == "inserted"]
    assert inserted == ["\nOral corticosteroids within 4 weeks of screening"]
    assert not [run for run in section["tracked_text"] if run["mark"] == "deleted"]
    [clean] = [s for s in diff["clean"] if s["number"] == "5.3"]
    assert clean["text"] == section["new_text"]
    assert clean["text"].endswith("Oral corticosteroids within 4 weeks of screening")


async def test_nothing_changed_since_version_1_and_unknown_versions_are_not_found(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    headers = await as_user("aud")
    same = await app_client.get(f"{trial}/audit/diff?from=v1", headers=headers)
    assert (same.status_code, same.json()["sections"]) == (200, [])
    missing = await app_client.get(f"{trial}/audit/diff?from=v1&to=v9", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    for query in ("", "?from=yesterday", "?from=v1&to=-3"):
        refused = await app_client.get(f"{trial}/audit/diff{query}", headers=headers)
        assert refused.status_code == 422, (query, refused.text)
