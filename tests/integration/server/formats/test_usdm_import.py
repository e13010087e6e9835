"""USDM v4 import: a new trial founded from a file, its narrative placed on the M11 outline
with a report, amendments kept as history, the import itself recorded; a broken or hostile
file refused or sanitised, and nothing recorded on refusal. Export, import, export again:
the same narrative and amendment history."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from domain.charter import GCP_TRAINING
from domain.imports import PlacementRule, ProtocolImported
from domain.streams import protocol_stream, trial_stream
from server.commands.aggregates import PROTOCOL
from server.demo import DEMO_TRIAL, DemoPerson, load_demo
from server.formats import usdm_import, usdm_routes
from server.formats.content import Heading, Table, blocks, markup
from server.formats.usdm_export import usdm_json
from server.formats.usdm_import import read_usdm
from server.formats.usdm_import_placement import HOLDING_SECTION
from server.formats.usdm_source import export_source
from server.formats.xhtml import from_xhtml, to_xhtml
from server.services import Services
from tests.integration.server.conftest import Api, Cli
from tests.integration.server.formats.amended import merge_amendments
from tests.integration.server.formats.usdm_files import (
    EXAMPLE,
    amendment_history,
    assert_valid_usdm,
    narrative,
)
from tests.integration.server.founders import make_trial_creator

People = dict[str, DemoPerson]
IMPORT = "/api/imports/usdm"
FOUNDING = {
    "organization_id": "northwind",
    "organization_kind": "sponsor",
    "organization_name": "Northwind Therapeutics",
}


@pytest.fixture
async def demo(services: Services) -> People:
    """The demo's people; Samira (sam), who imports here, may found trials: a trial
    creator whose training a system administrator attested."""
    people = {person.username: person for person in await load_demo(services)}
    await make_trial_creator(services, people["sam"].user_id)
    return people


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], raw: bytes, trial_id: str, **more: str
) -> httpx.Response:
    return await client.post(
        IMPORT,
        params={"trial_id": trial_id, **FOUNDING, **more},
        content=raw,
        headers={**headers, "Content-Type": "application/json"},
    )


async def exported(services: Services, trial_id: str) -> dict[str, Any]:
    source = await export_source(services.store, services.history.at, trial_id)
    document: dict[str, Any] = msgspec.json.decode(usdm_json(source))
    return document


async def test_the_cdisc_example_founds_a_trial_with_its_narrative_placed(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: People
) -> None:
    raw = EXAMPLE.read_bytes()
    response = await upload(
        app_client, await as_user("sam"), raw, "lzzt", file_name="CDISC_Pilot_Study.json"
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["trial_id"] == "lzzt"
    report = answer["report"]
    assert report["file"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert report["file"]["format"] == "USDM 4.0.0"
    placed = {p["source_number"]: p for p in report["placements"]}
    assert (placed["5.2"]["placed"], placed["5.2"]["section"]) == ("by_number", "5.2")
    assert (placed["9.5"]["placed"], placed["9.5"]["section"]) == ("by_title", "9.3")
    assert placed["0"]["placed"] == "left_out"  # the title page
    assert report["amendments"] == [{"number": "1", "summary": "Updated inclusion criteria"}]

    trial = await app_client.get("/api/trials/lzzt", headers=await as_user("sam"))
    assert trial.json()["title"].startswith("Safety and Efficacy of the Xanomeline")
    protocol = (await services.states.load(PROTOCOL, protocol_stream("lzzt"))).state
    inclusion = protocol.sections["5.2"].head.text
    assert "01 | Males and postmenopausal females at least 50 years of age." in inclusion
    assert protocol.versions == ()  # a draft: its people publish version 1 themselves

    events = await services.store.read_stream(protocol_stream("lzzt"))
    assert [events[0].type, events[-1].type] == ["ProtocolDrafted", "ProtocolImported"]
    recorded = events[-1]
    assert recorded.meta["actor"] == demo["sam"].user_id
    assert recorded.data["imported_by"] == demo["sam"].user_id
    assert recorded.data["record"]["file_sha256"] == hashlib.sha256(raw).hexdigest()
    assert recorded.data["record"]["file_name"] == "CDISC_Pilot_Study.json"
    assert recorded.recorded_at is not None

    again = await exported(services, "lzzt")
    assert_valid_usdm(again)
    (version,) = again["study"]["versions"]
    titles = {t["text"] for t in version["titles"]}
    assert "LZZT" in titles  # the acronym, kept from the file
    assert {"H2Q-MC-LZZT", "NCT12345678"} <= {i["text"] for i in version["studyIdentifiers"]}
    assert [a["number"] for a in version["amendments"]] == ["1"]


async def test_the_cdisc_example_round_trips(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: People
) -> None:
    headers = await as_user("sam")
    first = await upload(app_client, headers, EXAMPLE.read_bytes(), "lzzt")
    assert first.status_code == 201, first.text
    once = await exported(services, "lzzt")
    second = await upload(app_client, headers, json.dumps(once).encode(), "lzzt-2")
    assert second.status_code == 201, second.text
    assert {p["placed"] for p in second.json()["report"]["placements"]} <= {"by_number", "by_title"}
    twice = await exported(services, "lzzt-2")
    assert_valid_usdm(twice)
    assert narrative(twice) == narrative(once)
    assert amendment_history(twice) == amendment_history(once)


async def test_export_import_export_keeps_the_narrative_and_amendment_history(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: People
) -> None:
    await merge_amendments(services, demo, 4)
    once = await exported(services, DEMO_TRIAL)
    response = await upload(app_client, await as_user("sam"), usdm_json_of(once), "asthma-copy")
    assert response.status_code == 201, response.text
    placements = response.json()["report"]["placements"]
    assert {p["placed"] for p in placements} == {"by_number", "by_title"}  # the lay summary
    assert response.json()["report"]["holding_section"] is None
    twice = await exported(services, "asthma-copy")
    assert_valid_usdm(twice)
    assert narrative(twice) == narrative(once)
    assert len(amendment_history(once)) == 4
    assert amendment_history(twice) == amendment_history(once)


def usdm_json_of(document: dict[str, Any]) -> bytes:
    return msgspec.json.encode(document)


def broken(change: str) -> bytes:
    document = json.loads(EXAMPLE.read_text())
    version = document["study"]["versions"][0]
    if change == "required field removed":
        del version["titles"]
    elif change == "wrong type":
        version["versionIdentifier"] = 2
    elif change == "not v4":
        document["usdmVersion"] = "3.0.0"
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ("required field removed", "$.study.versions[0]", "'titles' is a required property"),
        ("wrong type", "$.study.versions[0].versionIdentifier", "2 is not of type 'string'"),
        ("not v4", "$.usdmVersion", "usdmVersion is '3.0.0': Concord reads USDM version 4"),
    ],
)
async def test_a_file_that_is_not_usdm_v4_is_refused_with_its_errors_and_nothing_recorded(
    app_client: httpx.AsyncClient,
    as_user: Api,
    services: Services,
    demo: People,
    change: str,
    path: str,
    message: str,
) -> None:
    head = await services.store.head_position()
    response = await upload(app_client, await as_user("sam"), broken(change), "broken")
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/not-usdm")
    assert problem["errors"][0] == {"path": path, "message": message}
    assert await services.store.head_position() == head
    assert not await services.store.read_stream(trial_stream("broken"))


async def test_what_cannot_be_a_usdm_file_is_refused_and_nothing_recorded(
    app_client: httpx.AsyncClient,
    as_user: Api,
    services: Services,
    demo: People,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await as_user("sam")
    head = await services.store.head_position()
    deep = b'{"study": ' + b"[" * 70 + b"]" * 70 + b', "usdmVersion": "4.0.0"}'
    for raw, status, kind in (
        (b"{not json", 422, "not-json"),
        (deep, 422, "too-deep"),
        (b"[]", 422, "not-usdm"),
    ):
        response = await upload(app_client, headers, raw, "refused")
        assert (response.status_code, response.json()["type"].split("/")[-1]) == (status, kind)
    as_text = await app_client.post(
        IMPORT,
        params={"trial_id": "refused", **FOUNDING},
        content=b"{}",
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 415
    unnamed = await app_client.post(
        IMPORT,
        content=EXAMPLE.read_bytes(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert unnamed.status_code == 422
    assert "trial_id" in unnamed.json()["detail"]
    taken = await upload(app_client, headers, EXAMPLE.read_bytes(), DEMO_TRIAL)
    assert taken.status_code == 409
    monkeypatch.setattr(usdm_routes, "MAX_FILE_BYTES", 1000)
    too_large = await upload(app_client, headers, EXAMPLE.read_bytes(), "refused")
    assert too_large.status_code == 413
    assert await services.store.head_position() == head


def _with_narrative(text: str, *, number: str = "5.2", title: str = "Inclusion Criteria") -> bytes:
    document = json.loads(EXAMPLE.read_text())
    version = document["study"]["versions"][0]
    version["narrativeContentItems"].append(
        {
            "id": "Hostile_item",
            "name": "hostile",
            "text": text,
            "instanceType": "NarrativeContentItem",
        }
    )
    m11 = document["study"]["documentedBy"][1]["versions"][0]
    (section,) = [c for c in m11["contents"] if c["sectionNumber"] == number]
    section["contentItemId"] = "Hostile_item"
    section["sectionTitle"] = title
    return json.dumps(document).encode()


async def test_hostile_xhtml_is_sanitised_and_bounded(
    app_client: httpx.AsyncClient,
    as_user: Api,
    services: Services,
    demo: People,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(usdm_import, "MAX_SECTION_CHARS", 5_000)
    hostile = (
        '<div xmlns="http://www.w3.org/1999/xhtml"><script>fetch("https://evil.test")</script>'
        '<p onclick="steal()" style="x">Adults <a href="javascript:alert(1)">aged</a> 18'
        "&#8203; to 65\u202e</p><iframe src='https://evil.test'></iframe>"
        "<svg><script>alert(2)</script></svg><style>p{display:none}</style>"
        "<ul><li>one &amp; <b>two</b></li><li><img src=x onerror=alert(3) alt='chart'/></li></ul>"
        + "<div>" * 500 + "deep" + "</div>" * 500
        + "<p>" + "x" * 20_000 + "</p></div>"
    )  # fmt: skip
    response = await upload(app_client, await as_user("sam"), _with_narrative(hostile), "hostile")
    assert response.status_code == 201, response.text
    text = (
        (await services.states.load(PROTOCOL, protocol_stream("hostile")))
        .state.sections["5.2"]
        .head.text
    )
    assert text.startswith("Adults aged 18 to 65\n\n- one & **two**\n- [chart]\n\ndeep")
    for hidden in ("fetch", "steal", "javascript", "evil", "alert", "display", "\u200b", "\u202e"):
        assert hidden not in text
    assert len(text) < 5_100  # cut at the section's bound
    (placement,) = [
        p for p in response.json()["report"]["placements"] if p["source_number"] == "5.2"
    ]
    notes = " ".join(placement["notes"])
    for said in (
        "<script>",
        "<iframe>",
        "<svg>",
        "<style>",
        "deeper than 64",
        "cut",
        "nobody can see",
    ):
        assert said in notes
    document = await exported(services, "hostile")
    assert_valid_usdm(document)


RICH = (
    '<div xmlns="http://www.w3.org/1999/xhtml"><p>Adults <b>aged 18 to 65</b> who <i>can</i>'
    " attend:</p><h3>Visits</h3><h4>Main <strong>period</strong></h4>"
    "<table><thead><tr><th>Visit</th><th>Week</th></tr></thead><tbody>"
    "<tr><td><b>Screening</b></td><td>-2</td></tr><tr><td>End | follow-up *</td><td></td></tr>"
    "</tbody></table><ul><li>a <em>b</em></li></ul></div>"
)


async def test_a_narrative_with_tables_headings_and_bold_text_round_trips(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: People
) -> None:
    """The import records markup that reads back as the XHTML's blocks; exported, that is
    XHTML of the same blocks; imported again, the same markup and the same narrative."""
    headers = await as_user("sam")
    response = await upload(app_client, headers, _with_narrative(RICH), "rich")
    assert response.status_code == 201, response.text
    protocol = (await services.states.load(PROTOCOL, protocol_stream("rich"))).state
    text = protocol.sections["5.2"].head.text
    found = blocks(text)
    assert found == from_xhtml(RICH).blocks
    assert [type(b).__name__ for b in found] == [
        "Paragraph", "Heading", "Heading", "Table", "ItemList",
    ]  # fmt: skip
    assert [b.level for b in found if isinstance(b, Heading)] == [1, 2]
    [table] = [b for b in found if isinstance(b, Table)]
    assert len(table.rows) == 2
    assert text.startswith("Adults **aged 18 to 65** who *can* attend:\n\n### Visits\n\n")
    assert "| **Screening** | -2 |\n| End \\| follow-up * | |" in text
    assert markup(found) == text

    once = await exported(services, "rich")
    assert_valid_usdm(once)
    by_number = {number: xhtml for number, _, xhtml, _ in narrative(once)}
    assert by_number["5.2"] == to_xhtml(found)
    again = await upload(app_client, headers, usdm_json_of(once), "rich-2")
    assert again.status_code == 201, again.text
    copied = (await services.states.load(PROTOCOL, protocol_stream("rich-2"))).state
    assert copied.sections["5.2"].head.text == text
    assert narrative(await exported(services, "rich-2")) == narrative(once)


async def test_narrative_no_section_matches_goes_to_the_appendix_where_it_can_be_moved(
    services: Services,
) -> None:
    raw = _with_narrative("<p>Kept, though nothing matches it</p>", number="5.2", title="Odd")
    document = json.loads(raw)
    m11 = document["study"]["documentedBy"][1]["versions"][0]
    for content in m11["contents"]:
        if content["sectionNumber"] == "5.2":
            content["sectionNumber"] = "Appendix 9"
    plan = read_usdm(json.dumps(document).encode())
    (odd,) = [p for p in plan.record.placements if p.source_title == "Odd"]
    assert (odd.rule, odd.number) == (PlacementRule.UNPLACED, HOLDING_SECTION)
    assert plan.record.holding == HOLDING_SECTION
    assert "[Not placed] Appendix 9 Odd\n\nKept, though nothing matches it" in plan.texts["12"]


async def test_the_cli_imports_a_file(
    services: Services, demo: People, concord: Cli, url: str, tmp_path: Path
) -> None:
    code, printed = await concord(
        "--db", url, "import", str(EXAMPLE), "--user", "sam", "--organization", "northwind",
        "--organization-kind", "sponsor",
    )  # fmt: skip
    assert code == 0, printed
    assert "as trial cdisc-pilot-lzzt" in printed
    assert "9.5 Pregnancy and Postpartum Information: by_title -> 9.3" in printed
    events = await services.store.read_stream(protocol_stream("cdisc-pilot-lzzt"))
    assert isinstance(events[-1].data, dict)
    assert events[-1].type == ProtocolImported.event_type

    bad = tmp_path / "bad.json"
    bad.write_bytes(broken("wrong type"))
    head = await services.store.head_position()
    code, _ = await concord(
        "--db", url, "import", str(bad), "--user", "sam", "--trial", "bad",
        "--organization", "northwind", "--organization-kind", "sponsor",
    )  # fmt: skip
    assert code == 2
    assert await services.store.head_position() == head


async def test_only_a_trial_creator_imports_and_with_the_training_attested_for_them(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: People
) -> None:
    head = await services.store.head_position()
    not_a_creator = await upload(app_client, await as_user("ivy"), EXAMPLE.read_bytes(), "ivys")
    assert not_a_creator.status_code == 403, not_a_creator.text
    assert not_a_creator.json()["type"].endswith("/not-a-trial-creator")
    sams = await as_user("sam")
    claimed = await upload(
        app_client, sams, EXAMPLE.read_bytes(), "claimed", training=f"2026-01-05 {GCP_TRAINING}"
    )
    assert claimed.status_code == 422
    assert "attested for your account" in claimed.json()["detail"]
    assert await services.store.head_position() == head


def test_the_example_is_read_whole() -> None:
    plan = read_usdm(EXAMPLE.read_bytes())
    original = copy.deepcopy(plan.record)
    assert plan.record == original
    assert plan.study_name == "CDISC PILOT - LZZT"


async def test_the_import_is_on_the_audit_trail_and_the_trial_reads_as_any_other(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: People
) -> None:
    headers = await as_user("sam")
    imported = await upload(app_client, headers, EXAMPLE.read_bytes(), "lzzt")
    assert imported.status_code == 201
    trail = await app_client.get(
        "/api/trials/lzzt/audit/trail", params={"record": "protocol"}, headers=headers
    )
    assert trail.status_code == 200, trail.text
    (entry,) = [e for e in trail.json() if e["event"] == "ProtocolImported"]
    assert (entry["printed_name"], entry["position"]) == (
        "Samira Reyes",
        imported.json()["position"],
    )
    for path in ("/api/trials/lzzt/protocol", "/api/trials/lzzt/audit/replay"):
        assert (await app_client.get(path, headers=headers)).status_code == 200, path
    verified = await app_client.get("/api/trials/lzzt/audit/verification", headers=headers)
    assert verified.json()["ok"] is True
