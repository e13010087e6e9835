"""A section's shared text over HTTP: opened from its revision, typed into by several
people (Yjs updates, recorded before anyone sees them), refused to readers and to bytes
that are no update, and recorded as a revision with a reason and its contributors."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from domain.streams import shared_text_stream
from server.demo import DRAFT_TRIAL, DemoPerson, load_draft_trial
from server.services import Services
from tests.integration.server.conftest import Api

SECTION = f"/api/trials/{DRAFT_TRIAL}/protocol/sections/5.2"


class Editor:
    """A person's copy of the document, as a browser keeps it."""

    def __init__(self, client_id: int) -> None:
        self.doc: Doc[Any] = Doc(client_id=client_id)

    @property
    def fragment(self) -> XmlFragment:
        fragment: XmlFragment = self.doc.get("default", type=XmlFragment)
        return fragment

    def load(self, answer: dict[str, Any]) -> None:
        self.doc.apply_update(base64.b64decode(answer["state"]))

    def type_paragraph(self, text: str) -> str:
        """Add a paragraph at the end; the update that says so, base64."""
        before = self.doc.get_state()
        paragraph = self.fragment.children.append(XmlElement("paragraph"))
        paragraph.children.append(XmlText(text))
        return base64.b64encode(self.doc.get_update(before)).decode("ascii")


async def _open(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = await client.get(f"{SECTION}/text", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _drafted(services: Services, demo: dict[str, DemoPerson]) -> None:
    await load_draft_trial(services, list(demo.values()))


async def test_two_people_type_and_each_reads_the_others_text(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await _drafted(services, demo)
    ivy, omar = await as_user("ivy"), await as_user("omar")
    opened = await _open(app_client, ivy)
    assert opened["started"] is False  # nobody wrote yet: its first state, nothing recorded
    assert opened["base_revision"] == 1
    assert await services.store.stream_version(shared_text_stream(DRAFT_TRIAL, "5.2")) == 0
    mine = Editor(2**40 + 1)
    mine.load(opened)
    assert str(mine.fragment).startswith("<paragraph>Age 40 to 80 years<hardBreak>")

    sent = await app_client.post(
        f"{SECTION}/text/updates",
        json={"update": mine.type_paragraph("Ivy wrote"), "based_on": 1},
        headers=ivy,
    )
    assert sent.status_code == 200, sent.text
    assert [e["type"] for e in sent.json()["events"]] == ["SharedTextStarted", "SharedTextEdited"]
    theirs = Editor(7)
    theirs.load(await _open(app_client, omar))
    update = theirs.type_paragraph("Omar wrote")
    sent = await app_client.post(f"{SECTION}/text/updates", json={"update": update}, headers=omar)
    assert sent.status_code == 200, sent.text

    final = await _open(app_client, ivy)
    assert final["writers"] == [demo["ivy"].user_id, demo["omar"].user_id]
    reader = Editor(9)
    reader.load(final)
    assert "Ivy wrote" in str(reader.fragment)
    assert "Omar wrote" in str(reader.fragment)
    events = await services.store.read_stream(shared_text_stream(DRAFT_TRIAL, "5.2"))
    assert [e.type for e in events] == ["SharedTextStarted", "SharedTextEdited", "SharedTextEdited"]
    assert events[1].data["edited_by"] == demo["ivy"].user_id


async def test_bytes_that_are_no_update_are_refused_and_nothing_is_recorded(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await _drafted(services, demo)
    ivy = await as_user("ivy")
    await _open(app_client, ivy)
    stream = shared_text_stream(DRAFT_TRIAL, "5.2")
    before = await services.store.stream_version(stream)
    for update, why in (
        ("not base64!", "not base64"),
        ("", "empty"),
        (base64.b64encode(b"garbage bytes").decode(), "cannot be read"),
    ):
        refused = await app_client.post(
            f"{SECTION}/text/updates", json={"update": update}, headers=ivy
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert why in refused.json()["detail"]
    assert await services.store.stream_version(stream) == before


async def test_someone_who_may_not_edit_reads_but_cannot_type(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await _drafted(services, demo)
    alex = await as_user("alex")  # the trial admin: reads the protocol, does not write it
    first = await _open(app_client, alex)
    assert (first["started"], first["base_revision"], first["writers"]) == (False, 1, [])
    reader = Editor(2)
    reader.load(first)
    assert "Age 40 to 80 years" in str(reader.fragment)
    ivy = await as_user("ivy")
    editor = Editor(3)
    editor.load(await _open(app_client, ivy))
    editor.load(await _open(app_client, alex))
    refused = await app_client.post(
        f"{SECTION}/text/updates", json={"update": editor.type_paragraph("Alex")}, headers=alex
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["action"] == "protocol:edit"
    after = Editor(4)
    after.load(await _open(app_client, alex))
    assert "Alex" not in str(after.fragment)


async def test_recording_makes_a_revision_with_its_reason_and_contributors(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await _drafted(services, demo)
    ivy, omar = await as_user("ivy"), await as_user("omar")
    for person, words in ((omar, "Omar's line"), (ivy, "Ivy's line")):
        editor = Editor(11 if person is omar else 12)
        editor.load(await _open(app_client, person))
        update = editor.type_paragraph(words)
        sent = await app_client.post(
            f"{SECTION}/text/updates", json={"update": update}, headers=person
        )
        assert sent.status_code == 200, sent.text

    no_reason = await app_client.post(f"{SECTION}/revisions", json={}, headers=ivy)
    assert no_reason.status_code == 422, no_reason.text
    recorded = await app_client.post(
        f"{SECTION}/revisions", json={"reason": "Eligibility agreed at the kick-off"}, headers=ivy
    )
    assert recorded.status_code == 201, recorded.text
    revised = next(e for e in recorded.json()["events"] if e["type"] == "SectionRevised")["data"]
    assert revised["revision"] == 2
    assert revised["reason"] == "Eligibility agreed at the kick-off"
    assert revised["contributors"] == [demo["omar"].user_id, demo["ivy"].user_id]
    assert revised["text"] == (
        "Age 40 to 80 years\nSmoking history of 10 pack-years or more\n\nOmar's line\n\nIvy's line"
    )
    protocol = (await app_client.get(f"/api/trials/{DRAFT_TRIAL}/protocol", headers=omar)).json()
    section = next(s for s in protocol["sections"] if s["number"] == "5.2")
    assert section["revision"] == 2
    assert "Ivy's line" in section["text"]

    again = await app_client.post(f"{SECTION}/revisions", json={"reason": "again"}, headers=ivy)
    assert again.status_code == 422, again.text
    assert "nothing to record" in again.json()["detail"]
    reopened = await _open(app_client, omar)
    assert (reopened["base_revision"], reopened["writers"]) == (2, [])


A1_TEXT = "/api/trials/asthma-301/amendments/A-1/texts"


async def test_an_amendment_s_change_is_written_together_from_its_own_proposal(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    ivy, sam = await as_user("ivy"), await as_user("sam")  # investigator, sponsor lead
    opened = await app_client.get(f"{A1_TEXT}/5.2", headers=ivy)
    assert opened.status_code == 200, opened.text
    editor = Editor(2**41 + 3)
    editor.load(opened.json())
    # The amendment's proposal (18 to 75), not the protocol's text (18 to 65).
    assert "18 to 75" in str(editor.fragment)
    assert "18 to 65" not in str(editor.fragment)
    sent = await app_client.post(
        f"{A1_TEXT}/5.2/updates",
        json={"update": editor.type_paragraph("Body mass index below 40")},
        headers=ivy,
    )
    assert sent.status_code == 200, sent.text
    proposed = await app_client.post(
        f"{A1_TEXT}/5.2/proposal",
        json={"description": "Upper age 75; a BMI limit", "rationale": "Site feedback"},
        headers=ivy,
    )
    assert proposed.status_code == 201, proposed.text
    amendment = (await app_client.get("/api/trials/asthma-301/amendments/A-1", headers=sam)).json()
    change = amendment["changes"]["5.2"]
    assert change["text"].endswith("Signed informed consent\n\nBody mass index below 40")
    assert change["description"] == "Upper age 75; a BMI limit"


async def test_an_amendment_s_text_refuses_those_who_may_not_author_it(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    ivy, pat = await as_user("ivy"), await as_user("pat")  # pat: a patient advocate
    editor = Editor(5)
    editor.load((await app_client.get(f"{A1_TEXT}/5.2", headers=ivy)).json())
    refused = await app_client.post(
        f"{A1_TEXT}/5.2/updates", json={"update": editor.type_paragraph("Pat")}, headers=pat
    )
    assert refused.status_code == 403, refused.text
    unknown = await app_client.get(f"{A1_TEXT}/99.9", headers=ivy)
    assert unknown.status_code == 404, unknown.text


async def test_an_auditor_replays_the_text_between_revisions_and_sees_who_wrote_what(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await _drafted(services, demo)
    ivy, omar, alex = await as_user("ivy"), await as_user("omar"), await as_user("alex")
    editor = Editor(21)
    editor.load(await _open(app_client, ivy))
    positions = []
    for person, words in ((ivy, "Written by Ivy"), (omar, "Omar added this")):
        sent = await app_client.post(
            f"{SECTION}/text/updates", json={"update": editor.type_paragraph(words)}, headers=person
        )
        assert sent.status_code == 200, sent.text
        positions.append(sent.json()["position"])
    recorded = await app_client.post(
        f"{SECTION}/revisions", json={"reason": "First pass"}, headers=ivy
    )
    assert recorded.status_code == 201, recorded.text
    sent = await app_client.post(
        f"{SECTION}/text/updates",
        json={"update": editor.type_paragraph("Later words")},
        headers=ivy,
    )
    assert sent.status_code == 200, sent.text

    between = await app_client.get(f"{SECTION}/text/history?at={positions[1]}", headers=alex)
    assert between.status_code == 200, between.text
    seen = between.json()
    assert "Omar added this" in seen["text"]
    assert "Later words" not in seen["text"]
    assert seen["base_revision"] == 1
    assert seen["recorded"] == []
    by = {run["text"].strip(): run["by"] for run in seen["authored"]}
    assert by["Written by Ivy"] == demo["ivy"].user_id
    assert by["Omar added this"] == demo["omar"].user_id
    assert by["Age 40 to 80 years\nSmoking history of 10 pack-years or more"] is None

    now = (await app_client.get(f"{SECTION}/text/history", headers=alex)).json()
    assert now["base_revision"] == 2
    assert [r["reason"] for r in now["recorded"]] == ["First pass"]
    assert {run["by"] for run in now["authored"] if "Later" in run["text"]} == {demo["ivy"].user_id}
    before = await app_client.get(f"{SECTION}/text/history?at=1", headers=alex)
    assert before.status_code == 404, before.text
    refused = await app_client.get(f"{SECTION}/text/history", headers=omar)
    assert refused.status_code == 403, refused.text
