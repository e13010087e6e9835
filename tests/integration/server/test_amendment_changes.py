"""Issue 19 over HTTP: an amendment's tracked changes against its base version and the
current one, its summary of changes in its JSON, a reason for every section revision,
and a merged section attributed to its amendment and authors."""

from __future__ import annotations

from typing import Any

import httpx

from server.demo import DRAFT_TRIAL, PROTOCOL_TEXTS, DemoPerson, load_draft_trial
from server.services import Services
from tests.integration.formats.test_protocol_documents import merge_a1
from tests.integration.server.conftest import Api
from tests.integration.server.test_tracked_html import change, open_a2

INCLUSION = PROTOCOL_TEXTS["5.2"]
A2_INCLUSION = INCLUSION + "\nNon-smokers only"
DRAFT = f"/api/trials/{DRAFT_TRIAL}"


def runs(section: dict[str, Any], mark: str) -> list[str]:
    return [run["text"] for run in section["tracked_text"] if run["mark"] == mark]


async def changes(
    client: httpx.AsyncClient, trial: str, headers: dict[str, str], amendment: str, **query: str
) -> dict[str, Any]:
    answer = await client.get(
        f"{trial}/amendments/{amendment}/changes", params=query, headers=headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_an_open_amendment_is_tracked_against_its_base_and_against_the_current_version(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    """A-2 is written on version 1 (18 to 65) and adds a line to 5.2; A-1 (65 to 75)
    then becomes version 2. Against its base, A-2 inserts only its line; against the
    current version it would also put 65 back where 75 now stands."""
    ivy, aud = await as_user("ivy"), await as_user("aud")
    await open_a2(
        app_client,
        trial,
        ivy,
        change("5.2", "Inclusion Criteria", A2_INCLUSION),
        change("1.1.2", "Overall Design", None),
    )
    await merge_a1(app_client, trial, demo, as_user)

    base = await changes(app_client, trial, aud, "A-2", against="base")
    assert base["against"] == {"kind": "base", "version": 1}
    assert (base["base_version"], base["current_version"], base["merged_version"]) == (1, 2, None)
    assert [(s["number"], s["change"]) for s in base["sections"]] == [
        ("1.1.2", "removed"),
        ("5.2", "changed"),
    ]
    removed, inclusion = base["sections"]
    assert (inclusion["old_text"], inclusion["new_text"]) == (INCLUSION, A2_INCLUSION)
    assert runs(inclusion, "deleted") == []
    assert runs(inclusion, "inserted") == ["\nNon-smokers only"]
    assert "<ins>" in inclusion["tracked_html"]
    assert "<del>" not in inclusion["tracked_html"]
    assert inclusion["rationale"] == "Safety of the study drug in smokers is unknown"
    assert removed["new_text"] is None
    assert runs(removed, "deleted") == [PROTOCOL_TEXTS["1.1.2"]]
    # The default is the base.
    assert await changes(app_client, trial, aud, "A-2") == base

    current = await changes(app_client, trial, aud, "A-2", against="current")
    assert current["against"] == {"kind": "current", "version": 2}
    now = current["sections"][1]
    assert now["old_text"] == INCLUSION.replace("18 to 65", "18 to 75")
    assert runs(now, "deleted") == ["75"]
    assert runs(now, "inserted") == ["65", "\nNon-smokers only"]


async def test_a_merged_amendment_shows_what_it_changed_against_its_base(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    await merge_a1(app_client, trial, demo, as_user)
    aud = await as_user("aud")
    base = await changes(app_client, trial, aud, "A-1")
    assert (base["status"], base["merged_version"], base["against"]["version"]) == ("merged", 2, 1)
    [inclusion] = base["sections"]
    assert (inclusion["change"], runs(inclusion, "deleted"), runs(inclusion, "inserted")) == (
        "changed",
        ["65"],
        ["75"],
    )
    # Version 2 is A-1's own: nothing of it differs from the current version.
    current = await changes(app_client, trial, aud, "A-1", against="current")
    assert [s["change"] for s in current["sections"]] == ["unchanged"]


async def test_tracked_changes_refuse_a_bad_against_and_an_unknown_amendment(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    aud = await as_user("aud")
    bad = await app_client.get(f"{trial}/amendments/A-1/changes?against=head", headers=aud)
    assert bad.status_code == 422
    assert bad.json()["type"].endswith("/malformed-parameter")
    assert "base or current" in bad.json()["detail"]
    unknown = await app_client.get(f"{trial}/amendments/A-99/changes", headers=aud)
    assert unknown.status_code == 404


async def test_an_amendments_json_carries_its_summary_of_changes_as_the_merge_records_it(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    await open_a2(
        app_client,
        trial,
        ivy,
        change("5.2", "Inclusion Criteria", A2_INCLUSION),
        change("1.1.2", "Overall Design", None),
        {**change("5.3", "Exclusion Criteria", "Smokers"), "rationale": "Another reason"},
    )
    a2 = (await app_client.get(f"{trial}/amendments/A-2", headers=ivy)).json()
    assert a2["summary_of_changes"] == [
        {
            "description": "Smoking status",
            "rationale": "Safety of the study drug in smokers is unknown",
            "sections": ["1.1.2", "5.2"],
        },
        {"description": "Smoking status", "rationale": "Another reason", "sections": ["5.3"]},
    ]
    a1 = (await app_client.get(f"{trial}/amendments/A-1", headers=ivy)).json()
    sam = await as_user("sam")
    await merge_a1(app_client, trial, demo, as_user)
    merged = await app_client.get(f"{trial}/audit/trail?record=amendment/A-1", headers=sam)
    assert merged.status_code == 200, merged.text
    recorded = (await app_client.get(f"{trial}/amendments/A-1", headers=sam)).json()
    assert recorded["summary_of_changes"] == a1["summary_of_changes"]
    assert [row["sections"] for row in a1["summary_of_changes"]] == [["5.2"]]


async def test_a_merged_section_names_its_amendment_its_authors_and_why(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    await merge_a1(app_client, trial, demo, as_user)
    aud = await as_user("aud")
    protocol = (await app_client.get(f"{trial}/protocol", headers=aud)).json()
    inclusion = next(s for s in protocol["sections"] if s["number"] == "5.2")
    assert inclusion["author"] == demo["sam"].user_id  # who merged it
    assert inclusion["amendment_id"] == "A-1"
    assert inclusion["contributors"] == [demo["ivy"].user_id]  # who wrote it
    a1 = (await app_client.get(f"{trial}/amendments/A-1", headers=aud)).json()
    rationale = a1["changes"]["5.2"]["rationale"]

    trail = await app_client.get(f"{trial}/audit/trail?record=protocol", headers=aud)
    assert trail.status_code == 200, trail.text
    revised = [row for row in trail.json() if row["event"] == "SectionRevised"]
    assert revised
    # The demo's draft revision of 5.3, then A-1's merge of 5.2.
    assert {row["reason"] for row in revised} == {
        "Oral corticosteroids confound the primary endpoint",
        f"amendment A-1: {rationale}",
    }


async def test_a_rebase_note_is_the_why_of_its_trail_rows(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    ivy, omar = await as_user("ivy"), await as_user("omar")
    await open_a2(app_client, trial, ivy, change("5.2", "Inclusion Criteria", A2_INCLUSION))
    await merge_a1(app_client, trial, demo, as_user)
    rebased_text = A2_INCLUSION.replace("18 to 65", "18 to 75")
    resolution = {
        "number": "5.2",
        "change": change("5.2", "Inclusion Criteria", rebased_text),
    }
    rebase = {"onto_version": 2, "resolutions": [resolution], "note": "kept A-1's 75"}
    rebased = await app_client.post(f"{trial}/amendments/A-2/rebase", json=rebase, headers=omar)
    assert rebased.status_code == 200, rebased.text

    aud = await as_user("aud")
    trail = await app_client.get(f"{trial}/audit/trail?record=amendment/A-2", headers=aud)
    rows = [row for row in trail.json() if row["event"] == "AmendmentRebased"]
    assert rows
    assert all("kept A-1's 75" in row["reason"] for row in rows)
    # Rebased onto version 2, the base is version 2: only A-2's own line is inserted.
    base = await changes(app_client, trial, aud, "A-2")
    assert base["against"] == {"kind": "base", "version": 2}
    assert runs(base["sections"][0], "inserted") == ["\nNon-smokers only"]
    assert runs(base["sections"][0], "deleted") == []


# -- a reason for every revision -------------------------------------------------------------


async def test_a_revision_without_a_reason_is_refused_and_records_nothing(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await load_draft_trial(services, list(demo.values()))
    ivy = await as_user("ivy")
    section = f"{DRAFT}/protocol/sections/5.2"
    head = await services.store.head_position()

    missing = await app_client.put(
        section, json={"base_revision": 1, "text": "Age 40 to 85"}, headers=ivy
    )
    assert missing.status_code == 422, missing.text
    assert missing.headers["content-type"] == "application/problem+json"
    assert "reason" in missing.json()["detail"]

    blank = await app_client.put(
        section, json={"base_revision": 1, "text": "Age 40 to 85", "reason": "  "}, headers=ivy
    )
    assert blank.status_code == 422, blank.text
    problem = blank.json()
    assert problem["type"].endswith("/revision-reason-missing")
    assert problem["title"] == "A revision states no reason for the change"
    assert "say why section 5.2 changes" in problem["detail"]
    assert await services.store.head_position() == head

    why = "Older patients are the ones with COPD"
    revised = await app_client.put(
        section, json={"base_revision": 1, "text": "Age 40 to 85", "reason": why}, headers=ivy
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["events"][0]["data"]["reason"] == why
    trail = await app_client.get(
        f"{DRAFT}/audit/trail?record=protocol", headers=await as_user("alex")
    )
    rows = [row for row in trail.json() if row["event"] == "SectionRevised"]
    assert rows
    assert {row["reason"] for row in rows} == {why}
