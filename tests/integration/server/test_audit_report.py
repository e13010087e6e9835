"""The audit report shows the past: an inspector reads, in the PDF, the text a version
superseded, an amendment's proposed text tracked against its base, signatures manifested
with their UTC time, the ethics committee's vote, what became of each comment, a
dispute's climb up the ladder, and an integrity page with the signed checkpoint and the
key's fingerprint; never a user id. The trial is driven over HTTP, the PDF read back."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader
from sqlalchemy import text as sql

from server.audit.report.facts import SHOWN_MOTIONS
from server.audit.signed_note import parse_checkpoint_text, parse_note
from server.demo import DEMO_TRIAL, DemoPerson, load_draft_trial
from server.services import Services
from tests.integration.server.conftest import Api, Cli
from tests.integration.server.test_shared_text import Editor

VAPING = {
    "summary": "Exclude current vapers",
    "primary_reason": "New Safety Information Available",
    "safety_or_rights_impact": {"likely": True, "explanation": "Vapers' lung risk"},
    "data_reliability_impact": {"likely": False, "explanation": "Same measures"},
    "enrollment": {"value": 35, "unit": "percent"},
}
VAPERS = {
    "number": "5.3",
    "heading": "Exclusion Criteria",
    "text": "Current smoker, vaper or more than 10 pack-years",
    "description": "Exclude vapers",
    "rationale": "The study drug's safety in vapers is unknown",
}
AGES = {**VAPING, "summary": "Age bands", "primary_reason": "Regulatory Agency Request To Amend"}
AGES["safety_or_rights_impact"] = {"likely": False, "explanation": "None"}
CHANGE = {"description": "Clearer structure", "rationale": "Reviewers asked for it"}
USER_ID = re.compile(r"u-[0-9a-f]{8,}")
TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


def pdf_text(content: bytes) -> str:
    """The PDF's text, whitespace collapsed to single spaces."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


async def report(client: httpx.AsyncClient, trial: str, as_user: Api) -> str:
    response = await client.get(f"{trial}/audit/export.pdf", headers=await as_user("aud"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return pdf_text(response.content)


async def merged_a1(
    client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    """A-1 signed, its advocate's comment adopted, merged as version 2."""
    sam = demo["sam"]
    a1 = (await client.get(f"{trial}/amendments/A-1", headers=await as_user("sam"))).json()
    signing = {"meaning": "approval", "content_hash": a1["content_hash"], "password": sam.password}
    signed = await client.post(
        f"{trial}/amendments/A-1/signatures", json=signing, headers=await as_user("sam")
    )
    assert signed.status_code == 201, signed.text
    told = await client.post(
        f"{trial}/comments/amendment/A-1/C-1/disposition",
        json={"disposition": "adopted", "reason": "Taxi vouchers are added to 11.3"},
        headers=await as_user("ivy"),
    )
    assert told.status_code == 200, told.text
    merged = await client.post(
        f"{trial}/amendments/A-1/merge",
        json={"effective_date": "2030-01-01"},
        headers=await as_user("sam"),
    )
    assert merged.status_code == 200, merged.text


async def past_of_the_demo(
    client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> dict[str, Any]:
    """A-1 merged; the substantial A-2 approved by the ethics committee's vote; a dispute
    about A-2 escalated and then resolved a level up. Returns Sam's signature on A-1 and
    the dispute's id."""
    await merged_a1(client, demo, as_user, trial)
    ivy = await as_user("ivy")
    opening = {"amendment_id": "A-2", "base_version": 2, "details": VAPING}
    opened = await client.post(f"{trial}/amendments", json=opening, headers=ivy)
    assert opened.status_code == 201, opened.text
    a2 = f"{trial}/amendments/A-2"
    proposed = await client.post(f"{a2}/changes", json={"change": VAPERS}, headers=ivy)
    assert proposed.status_code == 201, proposed.text
    submitted = await client.post(f"{a2}/submission", json={}, headers=ivy)
    assert submitted.status_code == 200, submitted.text
    content_hash = (await client.get(a2, headers=await as_user("elena"))).json()["content_hash"]
    approval = {
        "content_hash": content_hash,
        "meeting_date": datetime.now(UTC).date().isoformat(),
        "in_favour": 6,
        "against": 1,
        "abstaining": 2,
        "minutes_reference": "CREC minutes 2026/07 item 3",
        "password": demo["elena"].password,
    }
    recorded = await client.post(
        f"{a2}/ethics-approval", json=approval, headers=await as_user("elena")
    )
    assert recorded.status_code == 201, recorded.text

    dispute = {"subject_kind": "amendment", "subject_id": "A-2", "concern": "Vapers differ"}
    raised = await client.post(f"{trial}/disputes", json=dispute, headers=await as_user("pat"))
    assert raised.status_code == 201, raised.text
    d2 = f"{trial}/disputes/{raised.json()['events'][0]['data']['dispute_id']}"
    reason = {"reason": "The protocol team could not agree on vaping"}
    escalated = await client.post(f"{d2}/escalation", json=reason, headers=await as_user("omar"))
    assert escalated.status_code == 200, escalated.text
    settled = {"resolution": "Vapers are excluded", "rationale": "Unknown lung risk"}
    resolved = await client.post(f"{d2}/resolution", json=settled, headers=await as_user("sam"))
    assert resolved.status_code == 200, resolved.text
    [signature] = (
        await client.get(f"{trial}/amendments/A-1", headers=await as_user("sam"))
    ).json()["signatures"]
    return {**signature, "dispute_id": d2.rsplit("/", 1)[1]}


async def test_the_report_shows_what_changed_who_signed_and_what_became_of_each_comment(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    signature = await past_of_the_demo(app_client, demo, as_user, trial)
    text = await report(app_client, trial, as_user)

    # the summary first: the version row names the changed sections, the original's counted
    assert text.index("Protocol versions") < text.index("Protocol versions in detail")
    assert re.search(rf"1 \S+ {TIME} original the original: all \d+ sections", text)
    assert re.search(rf"2 2030-01-01 {TIME} A-1 5\.2 sha256:", text)
    # version 2 shows the text it superseded; the original, the sections changed in draft
    assert "Superseded text (version 1): Inclusion Criteria Age 18 to 65 years" in text
    assert "Section 5.3 Exclusion Criteria Entered:" in text
    assert "As first entered (superseded) Current smoker or more than 10 pack-years" in text
    # the amendment's proposed text, and the change tracked against its base
    assert "Proposed text Current smoker, vaper or more than 10 pack-years" in text
    assert "Changes against version 1, its base Age 18 to 6575 years" in text
    # signatures manifested: printed name, UTC time (the one format), meaning
    signed_at = signature["signed_at"][:19].replace("T", " ") + " UTC"
    assert f"Samira Reyes {signed_at} approval valid" in text
    # the committee's vote
    assert "Ethics committee votes" in text
    assert re.search(r"Dr Elena Rossi \d{4}-\d\d-\d\d 6 1 2 CREC minutes 2026/07 item 3", text)
    # what became of the advocate's comment
    assert re.search(
        rf"C-1: Pat Okafor, {TIME} Older participants .* Disposition: adopted by Dr Ivy Chen,"
        rf" {TIME}: Taxi vouchers are added to 11.3",
        text,
    )
    # the dispute's ladder: raised, escalated (when, by whom, why), resolved a level up
    assert re.search(
        rf"2 Trial steering committee sponsor lead {TIME} by Dr Omar Haddad: The protocol"
        " team could not agree on vaping",
        text,
    )
    assert re.search(
        rf"Resolved: {TIME}, resolved at the Trial steering committee level, by"
        " Samira Reyes",
        text,
    )
    assert f"Disputes about it: {signature['dispute_id']} (resolved)" in text
    # people by name, never by id
    assert not USER_ID.search(text)
    for person in demo.values():
        assert person.user_id not in text


async def test_the_integrity_page_carries_the_signed_checkpoint_and_the_keys_fingerprint(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, services: Services
) -> None:
    text = await report(app_client, trial, as_user)
    checkpoint = await services.checkpoints.latest_note()
    assert checkpoint is not None
    assert checkpoint.note is not None
    body = parse_checkpoint_text(parse_note(checkpoint.note).text)
    raw = services.checkpoints.key.public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    integrity = text[text.index("Integrity Result:") :]
    assert integrity.startswith("Integrity Result: Verified: all ")
    assert f"Log position (tree size): {body.size:,}" in integrity
    assert " ".join(checkpoint.note.split()) in integrity
    assert hashlib.sha256(raw).hexdigest() in integrity
    assert f"Key id: {services.checkpoints.key.key_id}" in integrity
    assert f"concord verify {DEMO_TRIAL}.jsonl --public-key server.pem" in integrity
    assert text.index("Integrity: Verified") < text.index("Protocol versions")


TAMPERS = {
    "an altered hash": "UPDATE events SET hash = :zeros WHERE position = :position",
    "a deleted event": "DELETE FROM events WHERE position = :position",
}


@pytest.mark.parametrize("tamper", TAMPERS)
async def test_a_tampered_event_of_the_trial_is_reported_not_verified(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, services: Services, tamper: str
) -> None:
    [drafted] = await services.store.read_all(types=["ProtocolDrafted"])
    async with services.checkpoints.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            await connection.execute(sql("DROP TRIGGER IF EXISTS events_no_update"))
            await connection.execute(sql("DROP TRIGGER IF EXISTS events_no_delete"))
        else:
            await connection.execute(sql("ALTER TABLE events DISABLE TRIGGER USER"))
        await connection.execute(
            sql(TAMPERS[tamper]), {"zeros": "0" * 64, "position": drafted.position}
        )
    services.store.forget_recent()
    text = await report(app_client, trial, as_user)
    assert text.index("Integrity: NOT VERIFIED") < text.index("Protocol versions")
    if tamper == "a deleted event":
        assert (
            f"NOT VERIFIED: record {drafted.stream_id} jumps from version 0 to 2 at position"
            in text
        )
        return
    found = re.search(r"NOT VERIFIED: the inclusion proof of the event at position (\d+)", text)
    assert found is not None
    assert int(found[1]) <= drafted.position


async def test_a_draft_protocols_report_shows_each_section_as_first_entered(
    app_client: httpx.AsyncClient, services: Services, demo: dict[str, DemoPerson], as_user: Api
) -> None:
    await load_draft_trial(services, list(demo.values()))
    draft = "/api/trials/copd-202"
    for who, text in (("ivy", "Age 40 to 85 years"), ("omar", "Age 45 to 85 years")):
        headers = await as_user(who)
        protocol = (await app_client.get(f"{draft}/protocol", headers=headers)).json()
        [section] = [s for s in protocol["sections"] if s["number"] == "5.2"]
        revised = await app_client.put(
            f"{draft}/protocol/sections/5.2",
            json={"text": text, "base_revision": section["revision"], "reason": f"{who} knows"},
            headers=headers,
        )
        assert revised.status_code == 200, revised.text
    ivy = await as_user("ivy")
    bands = {
        "number": "5.2.1",
        "heading": "Age bands",
        "text": "40-60, 61-85",
        "reason": "Bands for the analysis",
    }
    added = await app_client.post(f"{draft}/protocol/sections", json=bands, headers=ivy)
    assert added.status_code == 201, added.text
    removed = await app_client.request(
        "DELETE", f"{draft}/protocol/sections/5.2.1", json={"reason": "Not needed"}, headers=ivy
    )
    assert removed.status_code == 200, removed.text
    section = f"{draft}/protocol/sections/5.3"
    editor = Editor(2**40 + 1)
    editor.load((await app_client.get(f"{section}/text", headers=ivy)).json())
    update = {"update": editor.type_paragraph("Ivy typed this"), "based_on": 1}
    typed = await app_client.post(f"{section}/text/updates", json=update, headers=ivy)
    assert typed.status_code == 200, typed.text
    response = await app_client.get(f"{draft}/audit/export.pdf", headers=await as_user("alex"))
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert "Current version: none published yet (a draft)" in text
    assert "No version is published yet: the protocol is a draft." in text
    assert "Changed: 2 time(s), by Dr Ivy Chen, Dr Omar Haddad" in text
    assert re.search(rf"{TIME} revision 3 Dr Omar Haddad omar knows", text)
    assert "As first entered (superseded) Age 40 to 80 years" in text
    assert "Section 5.2.1 Age bands Entered:" in text
    assert "Changed: 1 time(s), by Dr Ivy Chen: removed before publication" in text
    assert "Ivy typed this" not in text  # typing is not a revision until recorded


async def test_the_cli_writes_the_same_report(
    demo: dict[str, DemoPerson], url: str, tmp_path: Path, concord: Cli
) -> None:
    out = tmp_path / "report.pdf"
    argv = ["--db", url, "export", "--trial", DEMO_TRIAL, "--format", "pdf", "--out", str(out)]
    assert (await concord(*argv))[0] == 0
    text = pdf_text(await asyncio.to_thread(out.read_bytes))
    assert "Integrity: Verified: all " in text
    assert "Amendment A-1: submitted" in text


async def test_the_cli_refuses_when_the_report_could_not_be_laid_out_and_writes_nothing(
    demo: dict[str, DemoPerson],
    url: str,
    tmp_path: Path,
    concord: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONCORD_REPORT_MEMORY_MB", "1")  # the layout process fails at once
    out = tmp_path / "reports" / "report.pdf"
    await asyncio.to_thread(out.parent.mkdir)
    argv = ["--db", url, "export", "--trial", DEMO_TRIAL, "--format", "pdf", "--out", str(out)]
    assert (await concord(*argv))[0] == 2  # "not exported: ..." on stderr, no traceback
    assert await asyncio.to_thread(lambda: list(out.parent.iterdir())) == []


async def test_the_report_shows_sections_added_removed_and_retitled_and_what_is_still_open(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    await merged_a1(app_client, demo, as_user, trial)
    ivy, sam = await as_user("ivy"), await as_user("sam")
    opening = {"amendment_id": "A-2", "base_version": 2, "details": AGES}
    assert (await app_client.post(f"{trial}/amendments", json=opening, headers=ivy)).is_success
    a2 = f"{trial}/amendments/A-2"
    changes = [
        {**CHANGE, "number": "1.1.1", "heading": "Objectives", "text": "To compare NW-301"},
        {**CHANGE, "number": "1.1.2", "heading": "Overall Design", "text": None},
        {**CHANGE, "number": "5.2.1", "heading": "Age bands", "text": "18-40, 41-75"},
        {
            **CHANGE,
            "number": "3.1",
            "heading": "Primary Objective(s) and Associated Estimand(s)",
            "text": "Dropped",
        },
    ]
    for change in changes:
        proposed = await app_client.post(f"{a2}/changes", json={"change": change}, headers=ivy)
        assert proposed.status_code == 201, proposed.text
    retracted = await app_client.delete(f"{a2}/changes/3.1", headers=ivy)
    assert retracted.status_code == 200, retracted.text
    assert (await app_client.post(f"{a2}/submission", json={}, headers=ivy)).is_success
    content_hash = (await app_client.get(a2, headers=sam)).json()["content_hash"]
    signing = {
        "meaning": "approval",
        "content_hash": content_hash,
        "password": demo["sam"].password,
    }
    signed = await app_client.post(f"{a2}/signatures", json=signing, headers=sam)
    assert signed.status_code == 201, signed.text
    merged = await app_client.post(
        f"{a2}/merge", json={"effective_date": "2031-01-01"}, headers=sam
    )
    assert merged.status_code == 200, merged.text

    opening = {"amendment_id": "A-3", "base_version": 3, "details": AGES}
    assert (await app_client.post(f"{trial}/amendments", json=opening, headers=ivy)).is_success
    withdrawn = await app_client.post(
        f"{trial}/amendments/A-3/withdrawal", json={"reason": "Not needed after all"}, headers=ivy
    )
    assert withdrawn.status_code == 200, withdrawn.text
    for who, said in (("pat", "Too many age bands"), ("ivy", "Bands follow the registry")):
        posted = await app_client.post(
            f"{trial}/comments/section/5.2", json={"text": said}, headers=await as_user(who)
        )
        assert posted.status_code == 201, posted.text
    motion = {
        "question": "Offer transport to every visit?",
        "options": ["yes", "no"],
        "eligible_voters": [demo[who].user_id for who in ("sam", "ivy", "omar")],
        "quorum_rule": "simple-majority",
        "deadline": "2031-01-01T00:00:00+00:00",
    }
    tabled = await app_client.post(f"{trial}/motions", json=motion, headers=sam)
    assert tabled.status_code == 201, tabled.text
    m2 = f"{trial}/motions/{tabled.json()['events'][0]['data']['motion_id']}"
    recusal = {"reason": "My site runs the transport service"}
    recused = await app_client.post(f"{m2}/recusals", json=recusal, headers=await as_user("omar"))
    assert recused.status_code == 201, recused.text
    concern = {"subject_kind": "section", "subject_id": "5.2", "concern": "Bands are arbitrary"}
    raised = await app_client.post(f"{trial}/disputes", json=concern, headers=await as_user("pat"))
    assert raised.status_code == 201, raised.text

    text = await report(app_client, trial, as_user)
    assert "Section 1.1.1 Objectives Superseded text (version 2): Primary and Secondary" in text
    assert (
        "Section 1.1.2 Overall Design Superseded text (version 2): Overall Design A 52-week" in text
    )
    assert "Removed by version 3." in text
    assert "Section 5.2.1 Age bands Added by version 3: it had no earlier text." in text
    assert "Section 1.1.2 Overall Design: removed Text it removes (version 2) A 52-week" in text
    assert "Section 5.2.1 Age bands: added Proposed text 18-40, 41-75" in text
    assert "Heading changed Primary and Secondary Objectives and Estimands Changes" in text
    assert re.search(rf"{TIME} change to section 3\.1 retracted Dr Ivy Chen", text)
    assert "Amendment A-3: withdrawn" in text
    assert "Closing reason: Not needed after all" in text
    assert re.search(r"Comments on sections .* 5\.2 2 1 1", text)
    assert re.search(rf"Feedback on section 5\.2 \w+: Pat Okafor, {TIME} Too many age bands", text)
    assert "Disposition: awaited" in text
    assert "1 more comment(s) in this thread are not shown here" in text
    assert "Recused: Dr Omar Haddad: My site runs the transport service" in text
    assert re.search(r"1 \(current\) Protocol team .* not reached", text)
    assert not USER_ID.search(text)


async def test_a_report_whose_layout_fails_is_a_clear_problem_and_the_server_goes_on(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the process that lays the report out may not grow past 1 MB: it fails at once
    monkeypatch.setenv("CONCORD_REPORT_MEMORY_MB", "1")
    auditor = await as_user("aud")
    failed = await app_client.get(f"{trial}/audit/export.pdf", headers=auditor)
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    problem = failed.json()
    assert problem["type"].endswith("/report-layout-failed")
    assert problem["title"] == "The audit report could not be laid out"
    assert "CSV" in problem["detail"]
    protocol = await app_client.get(f"{trial}/protocol", headers=auditor)
    assert protocol.status_code == 200
    monkeypatch.delenv("CONCORD_REPORT_MEMORY_MB")
    assert "Integrity: Verified: all " in await report(app_client, trial, as_user)


async def test_the_decisions_list_the_latest_motions_and_say_where_the_others_are(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    sam = await as_user("sam")
    tabled = []
    for n in range(SHOWN_MOTIONS + 2):
        motion = {
            "question": f"Question number {n}?",
            "options": ["yes", "no"],
            "eligible_voters": [demo[who].user_id for who in ("sam", "ivy")],
            "quorum_rule": "simple-majority",
            "deadline": "2031-01-01T00:00:00+00:00",
        }
        answer = await app_client.post(f"{trial}/motions", json=motion, headers=sam)
        assert answer.status_code == 201, answer.text
        tabled.append(answer.json()["events"][0]["data"]["motion_id"])

    text = await report(app_client, trial, as_user)
    listed = re.search(r"The latest 100 of the trial's ([\d,]+) motions are listed", text)
    assert listed is not None
    assert int(listed.group(1).replace(",", "")) >= SHOWN_MOTIONS + 2
    assert "the audit trail (CSV) and the log (JSON Lines) exports have every one" in text
    assert f"Motion {tabled[-1]}: open" in text
    assert f"Motion {tabled[0]}:" not in text
    assert "Question number 0?" not in text
