"""USDM v4 export: valid against CDISC's schema, the M11 narrative as XHTML, one study
version per published protocol version, amendments coded, ids stable, tied to the log."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import msgspec

from domain.streams import protocol_stream
from server.demo import DEMO_TRIAL, PROTOCOL_TEXTS, DemoPerson
from server.formats import usdm_terms as terms
from server.formats.content import blocks
from server.formats.usdm_export import usdm_json
from server.formats.usdm_ids import study_uuid
from server.formats.usdm_source import export_source
from server.formats.usdm_values import extension_values, first
from server.formats.xhtml import to_xhtml
from server.services import Services
from tests.integration.server.conftest import Api, Cli
from tests.integration.server.formats.amended import merge_amendments
from tests.integration.server.formats.usdm_files import (
    amendment_history,
    assert_valid_usdm,
    narrative,
)

People = dict[str, DemoPerson]
URL = f"/api/trials/{DEMO_TRIAL}/usdm"


async def test_the_demo_trial_exports_as_valid_usdm(
    app_client: httpx.AsyncClient, as_user: Api, services: Services
) -> None:
    response = await app_client.get(URL, headers=await as_user("pat"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert_valid_usdm(document)
    assert (document["usdmVersion"], document["systemName"]) == ("4.0.0", "Concord")
    study = document["study"]
    assert study["id"] == study_uuid(DEMO_TRIAL)
    (version,) = study["versions"]
    assert version["versionIdentifier"] == "1"
    assert version["amendments"] == []  # A-1 is under review, not merged
    titles = {t["type"]["decode"]: t["text"] for t in version["titles"]}
    assert titles["Official Study Title"] == "NW-301 in moderate persistent asthma (ASTHMA-301)"
    assert [i["text"] for i in version["studyIdentifiers"]] == [DEMO_TRIAL]
    kinds = {o["name"]: o["type"]["decode"] for o in version["organizations"]}
    assert kinds["Northwind Therapeutics"] == "Clinical Study Sponsor"
    assert kinds["St Mary's University Hospital"] == "Healthcare Facility"
    roles = {r["code"]["decode"]: r for r in version["roles"]}
    investigators = [p["personName"]["text"] for p in roles["Investigator"]["assignedPersons"]]
    assert sorted(investigators) == ["Dr Ivy Chen", "Dr Omar Haddad"]
    assert roles["Sponsor"]["organizationIds"] == ["StudyVersion_1_organization_northwind"]


async def test_the_narrative_follows_the_m11_outline_as_xhtml(
    app_client: httpx.AsyncClient, as_user: Api, services: Services
) -> None:
    document = (await app_client.get(URL, headers=await as_user("ivy"))).json()
    sections = narrative(document)
    numbers = [number for number, *_ in sections]
    assert numbers[:4] == ["1", "1.1", "1.1.1", "1.1.2"]
    assert numbers[-2:] == ["14", None]  # the lay summary has no number
    by_number = {number: (title, text, children) for number, title, text, children in sections}
    assert by_number["1"][2] == ("1.1", "1.2", "1.3")
    assert by_number["5.2"][0] == "Inclusion Criteria"
    assert by_number["5.2"][1] == to_xhtml(blocks(PROTOCOL_TEXTS["5.2"]))
    assert "<br/>Diagnosis of asthma for at least 12 months<br/>" in by_number["5.2"][1]
    (protocol,) = document["study"]["documentedBy"]
    assert (protocol["templateName"], protocol["type"]["decode"]) == ("M11", "Protocol")


async def test_a_trial_with_merged_amendments_exports_each_version_and_amendment(
    services: Services, demo: People
) -> None:
    await merge_amendments(services, demo, 4)
    source = await export_source(services.store, services.history.at, DEMO_TRIAL)
    document = msgspec.json.decode(usdm_json(source))
    assert_valid_usdm(document)
    versions = document["study"]["versions"]
    assert [v["versionIdentifier"] for v in versions] == ["1", "2", "3", "4", "5"]
    amendments = [a for v in versions for a in v["amendments"]]
    assert [a["number"] for a in amendments] == ["A-1", "A-2", "A-3", "A-4"]
    assert [a["previousId"] for a in amendments] == [
        None,
        "StudyAmendment_A-1",
        "StudyAmendment_A-2",
        "StudyAmendment_A-3",
    ]
    a1 = amendments[0]
    assert a1["summary"] == "Widen the upper age limit to 75 years"
    assert a1["primaryReason"]["code"] == {
        "id": "StudyAmendment_A-1_primaryReason_code",
        "extensionAttributes": [],
        "code": "C207611",
        "codeSystem": "http://www.cdisc.org",
        "codeSystemVersion": terms.CDISC_VERSION,
        "decode": "Recruitment Difficulty",
        "instanceType": "Code",
    }
    assert [r["code"]["code"] for r in a1["secondaryReasons"]] == ["C207604"]
    (change,) = a1["changes"]
    assert change["summary"] == "Raise the upper age limit from 65 to 75 years"
    assert [(s["sectionNumber"], s["sectionTitle"]) for s in change["changedSections"]] == [
        ("5.2", "Inclusion Criteria")
    ]
    assert [(i["type"]["decode"], i["isSubstantial"]) for i in a1["impacts"]] == [
        ("Study Subject Safety", False),
        ("Study Data Reliability", False),
    ]
    assert [i["isSubstantial"] for i in amendments[3]["impacts"]] == [True, False]
    enrollment = a1["enrollments"][0]["quantity"]
    assert (enrollment["value"], enrollment["unit"]["standardCode"]["decode"]) == (35, "Percentage")
    assert [s["type"]["decode"] for s in a1["geographicScopes"]] == ["Global"]
    scopes = amendments[2]["geographicScopes"]  # two countries
    assert [(s["type"]["decode"], s["code"]["standardCode"]["code"]) for s in scopes] == [
        ("Country", "DEU"),
        ("Country", "France"),
    ]
    assert [d["type"]["decode"] for d in a1["dateValues"]] == ["Approval Date", "Effective Date"]
    assert versions[1]["amendments"][0]["dateValues"][1]["dateValue"] == "2030-01-02"
    v3 = {number: text for number, _, text, _ in narrative(document, 2)}
    assert any(n.endswith(".50") for n in v3 if n)  # A-2's subsections are in version 3


async def test_ids_are_the_same_in_every_export_of_the_same_state(
    services: Services, demo: People
) -> None:
    await merge_amendments(services, demo, 2)
    exports = [
        usdm_json(await export_source(services.store, services.history.at, DEMO_TRIAL))
        for _ in range(2)
    ]
    assert exports[0] == exports[1]


async def test_each_version_names_the_log_position_and_hash_that_published_it(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: People
) -> None:
    await merge_amendments(services, demo, 2)
    document = (await app_client.get(URL, headers=await as_user("aud"))).json()
    published = [
        e for e in await services.store.read_stream(protocol_stream(DEMO_TRIAL))
        if e.type == "ProtocolVersionPublished"
    ]  # fmt: skip
    for version, event in zip(document["study"]["versions"], published, strict=True):
        assert extension_values(version, terms.LOG_POSITION) == [event.position]
        assert extension_values(version, terms.LOG_HASH) == [event.hash]
    head = await services.store.head_position()
    (at_head,) = await services.store.read_all(after=head - 1, limit=1)
    assert extension_values(document["study"], terms.LOG_POSITION) == [head]
    assert extension_values(document["study"], terms.LOG_HASH) == [at_head.hash]


async def test_an_export_at_a_version_or_position_shows_the_trial_as_it_was(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: People
) -> None:
    await merge_amendments(services, demo, 3)
    headers = await as_user("sam")
    at_v2 = (await app_client.get(URL, params={"version": "2"}, headers=headers)).json()
    assert_valid_usdm(at_v2)
    assert [v["versionIdentifier"] for v in at_v2["study"]["versions"]] == ["1", "2"]
    (published_v2,) = [
        e for e in await services.store.read_stream(protocol_stream(DEMO_TRIAL))
        if e.type == "ProtocolVersionPublished" and e.data["version"] == 2
    ]  # fmt: skip
    assert extension_values(at_v2["study"], terms.LOG_POSITION) == [published_v2.position]

    drafted = (await services.store.read_stream(protocol_stream(DEMO_TRIAL)))[0].position
    before = (await app_client.get(URL, params={"at": str(drafted)}, headers=headers)).json()
    assert_valid_usdm(before)
    (draft,) = before["study"]["versions"]
    assert draft["versionIdentifier"] == "draft"
    assert first(draft["narrativeContentItems"], id="NarrativeContentItem_draft_5.2") is not None
    (protocol,) = before["study"]["documentedBy"]
    assert protocol["versions"][0]["status"]["decode"] == "Draft"


async def test_an_export_names_what_is_wrong_with_its_moment(
    app_client: httpx.AsyncClient, as_user: Api, services: Services
) -> None:
    headers = await as_user("ivy")
    for params, status, kind in (
        ({"version": "9"}, 404, "not-found"),
        ({"version": "0"}, 422, "malformed-version"),
        ({"version": "one"}, 422, "malformed-version"),
        ({"version": "1", "at": "3"}, 422, "ambiguous-moment"),
        ({"at": "x"}, 422, "malformed-position"),
    ):
        response = await app_client.get(URL, params=params, headers=headers)
        assert response.status_code == status, params
        assert response.json()["type"].endswith("/" + kind)
    missing = await app_client.get("/api/trials/nope/usdm", headers=headers)
    assert missing.status_code == 404


async def test_the_cli_exports_usdm_at_a_version(
    services: Services, demo: People, concord: Cli, url: str, tmp_path: Path
) -> None:
    await merge_amendments(services, demo, 2)
    out = tmp_path / "asthma.json"
    code, printed = await concord(
        "--db", url, "export", "--trial", DEMO_TRIAL, "--format", "usdm", "--at", "v2",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, printed
    document = json.loads(out.read_text())
    assert_valid_usdm(document)
    assert [v["versionIdentifier"] for v in document["study"]["versions"]] == ["1", "2"]
    assert amendment_history(document)[0]["number"] == "A-1"
    code, _ = await concord(
        "--db", url, "export", "--trial", DEMO_TRIAL, "--format", "usdm", "--at", "v7",
        "--out", str(tmp_path / "none.json"),
    )  # fmt: skip
    assert code == 2
    assert not (tmp_path / "none.json").exists()
