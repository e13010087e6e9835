"""An auditor reads the per-record audit trail and exports the trial: the trail as CSV,
the audit report as PDF (read back as text), and the same files from the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from domain.engagement import CommentSubjectKind, Disposition, FeedbackDispositioned
from domain.streams import trial_stream
from events import StreamAppend
from server import pdf_fonts
from server.audit.state_diff import changed_values, named_in
from server.audit.trial_fold import TrialFold
from server.demo import DEMO_TRIAL, DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api, Cli
from tests.integration.server.long_threads import logged, post_comments


async def signed_by_sam(
    client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> dict[str, Any]:
    """Sam (sponsor lead) signs A-1's approval with his password."""
    sam = demo["sam"]
    a1 = (await client.get(f"{trial}/amendments/A-1", headers=await as_user("sam"))).json()
    signing = {"meaning": "approval", "content_hash": a1["content_hash"], "password": sam.password}
    signed = await client.post(
        f"{trial}/amendments/A-1/signatures", json=signing, headers=await as_user("sam")
    )
    assert signed.status_code == 201, signed.text
    answer: dict[str, Any] = (
        await client.get(f"{trial}/amendments/A-1", headers=await as_user("sam"))
    ).json()
    return answer


async def test_the_trail_of_a_record_says_who_when_what_and_why(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    response = await app_client.get(
        f"{trial}/audit/trail", params={"record": "workspace"}, headers=await as_user("aud")
    )
    assert response.status_code == 200, response.text
    rows = response.json()
    [granted] = [r for r in rows if r["event"] == "RoleGranted" and r["new_value"] == '"auditor"']
    assert granted["field"] == f"members.{demo['aud'].user_id}.roles[0]"
    assert granted["old_value"] == ""
    assert granted["printed_name"] == demo["alex"].printed_name
    assert granted["roles"] == "trial_admin"
    assert granted["organization"]
    assert granted["reason"].endswith("takes part as auditor")
    assert granted["recorded_at"].endswith("Z")

    dispute = (
        await app_client.get(
            f"{trial}/audit/trail", params={"record": "dispute/D-1"}, headers=await as_user("aud")
        )
    ).json()
    [resolution] = [r for r in dispute if r["field"] == "resolution"]
    assert (resolution["old_value"], resolution["printed_name"]) == (
        "null",
        demo["ivy"].printed_name,
    )
    assert resolution["reason"].startswith("Home spirometry is validated")


@pytest.mark.parametrize(
    ("record", "status"),
    [(None, 422), ("elsewhere/x", 422), ("amendment/A-9", 404), ("../other", 422)],
)
async def test_a_trail_of_no_record_is_a_problem(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, record: str | None, status: int
) -> None:
    params = {"record": record} if record else {}
    response = await app_client.get(
        f"{trial}/audit/trail", params=params, headers=await as_user("aud")
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_audit_trail_exports_as_csv(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    response = await app_client.get(f"{trial}/audit/export.csv", headers=await as_user("elena"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    revised = [r for r in rows if r["event"] == "SectionRevised" and r["field"].endswith(".text")]
    [row] = revised
    assert row["record"] == "protocol"
    assert row["printed_name"] == demo["ivy"].printed_name
    assert "Oral corticosteroids within 4 weeks of screening" in row["new_value"]
    assert {r["record"] for r in rows} >= {"workspace", "protocol", "motion/M-1", "dispute/D-1"}


async def test_every_event_of_the_demo_names_the_entries_it_changes(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    """What the trail relies on for long mappings: comparing only the keys an event names
    finds every change that comparing every entry finds."""
    fold, steps = TrialFold(DEMO_TRIAL), 0
    async for page in services.store.pages(under=trial_stream(DEMO_TRIAL)):
        for event in page:
            step = fold.apply(event)
            if step is None:
                continue
            steps += 1
            named = named_in(event.data)
            by_name = changed_values(step.before, step.after, named, scan_limit=0)
            every = changed_values(step.before, step.after, scan_limit=10**9)
            assert by_name == every, (event.position, event.type)
    assert steps > 50


async def test_a_long_thread_exports_each_comment_once_and_a_disposition_as_what_it_changed(
    services: Services,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
) -> None:
    pat, ivy = demo["pat"], demo["ivy"]
    count = 600  # more than a mapping is compared entry by entry for
    thread = await post_comments(services.store, DEMO_TRIAL, "8.1", count, pat.user_id)
    disposition = FeedbackDispositioned(
        subject_kind=CommentSubjectKind.SECTION, subject_id="8.1", comment_id="C-7",
        disposition=Disposition.DECLINED, reason="Out of scope", dispositioned_by=ivy.user_id,
        author_id=pat.user_id,
    )  # fmt: skip
    await services.store.append(StreamAppend(thread, [logged(disposition, ivy.user_id)]))

    response = await app_client.get(f"{trial}/audit/export.csv", headers=await as_user("elena"))
    assert response.status_code == 200, response.text
    rows = [
        r
        for r in csv.DictReader(io.StringIO(response.text))
        if r["record"] == "comments/section/8.1"
    ]
    by_event: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_event.setdefault(row["position"], []).append(row)
    *posted, [*dispositioned] = by_event.values()
    assert len(posted) == count
    for n, event_rows in enumerate(posted, start=1):
        values = {
            r["field"]: r["new_value"] for r in event_rows if r["field"].startswith("comments.")
        }
        assert values == {
            f"comments.C-{n}.comment_id": f'"C-{n}"',
            f"comments.C-{n}.text": f'"Comment {n}"',
            f"comments.C-{n}.author_id": json.dumps(pat.user_id),
            f"comments.C-{n}.needs_disposition": "false",
            f"comments.C-{n}.in_reply_to": "null",
            f"comments.C-{n}.section": "null",
            f"comments.C-{n}.disposition": "null",
            f"comments.C-{n}.disposition_reason": "null",
            f"comments.C-{n}.dispositioned_by": "null",
        }, n
        assert {r["event"] for r in event_rows} == {"CommentPosted"}
        assert {r["printed_name"] for r in event_rows} == {pat.printed_name}
    assert [(r["field"], r["old_value"], r["new_value"]) for r in dispositioned] == [
        ("comments.C-7.disposition", "null", '"declined"'),
        ("comments.C-7.disposition_reason", "null", '"Out of scope"'),
        ("comments.C-7.dispositioned_by", "null", json.dumps(ivy.user_id)),
    ]
    assert {(r["printed_name"], r["reason"]) for r in dispositioned} == {
        (ivy.printed_name, "Out of scope")
    }


async def test_the_audit_report_manifests_signatures_tallies_and_resolutions(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    a1 = await signed_by_sam(app_client, demo, as_user, trial)
    response = await app_client.get(f"{trial}/audit/export.pdf", headers=await as_user("alex"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(response.content)).pages
    )
    assert "Protocol versions" in text
    assert "Amendment A-1: approved" in text
    assert a1["details"]["summary"].split()[0] in text
    assert "Summary of changes" in text
    [signature] = a1["signatures"]
    assert "Samira Reyes" in text
    assert signature["signed_at"][:19].replace("T", " ") + " UTC" in text
    assert "approval valid" in text
    assert "Option Votes yes 3 no 1" in text
    assert "Motion M-1: decided" in text
    assert "Use the electronic symptom diary app" in text
    assert "Dispute D-1: resolved" in text
    assert "The week-12 spirometry may be done at home" in text


async def test_the_audit_report_prints_any_language_and_markup_as_written(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    if pdf_fonts.family() == "Helvetica":
        pytest.skip("no DejaVu Sans here (fonts-dejavu): Helvetica shows Latin-1 only")
    concern = "Περίοδος έκπλυσης — срок отмывки <b>4 weeks</b> & more"
    raised = await app_client.post(
        f"{trial}/disputes",
        json={"subject_kind": "section", "subject_id": "5.2", "concern": concern},
        headers=await as_user("ivy"),
    )
    assert raised.status_code == 201, raised.text
    response = await app_client.get(f"{trial}/audit/export.pdf", headers=await as_user("alex"))
    assert response.status_code == 200, response.text
    text = " ".join(
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(response.content)).pages
    )
    assert f"Concern: {concern}" in text


async def test_the_cli_exports_what_the_api_does(
    demo: dict[str, DemoPerson], url: str, tmp_path: Path, concord: Cli
) -> None:
    for kind in ("jsonl", "csv", "pdf"):
        to = str(tmp_path / f"asthma.{kind}")
        argv = ["--db", url, "export", "--trial", "asthma-301", "--format", kind, "--out", to]
        assert (await concord(*argv))[0] == 0
    code, printed = await concord("verify", str(tmp_path / "asthma.jsonl"))
    assert (code, printed.split(",")[0]) == (0, "ok: trial asthma-301")
    csv_text = await asyncio.to_thread((tmp_path / "asthma.csv").read_text)
    assert csv_text.startswith("position,recorded_at,record,event,user_id,printed_name")
    assert (await asyncio.to_thread((tmp_path / "asthma.pdf").read_bytes)).startswith(b"%PDF")
    argv = ["--db", url, "export", "--trial", "no-such-trial", "--format", "csv", "--out", "x"]
    assert (await concord(*argv))[0] == 1


async def test_the_cli_replays_a_trial_and_shows_only_the_public_key(
    services: Services, demo: dict[str, DemoPerson], url: str, signing_key: Path, concord: Cli
) -> None:
    [revised] = await services.store.read_all(types=["SectionRevised"])
    argv = ["--db", url, "replay", "--trial", "asthma-301", "--at", str(revised.position)]
    code, out = await concord(*argv)
    assert code == 0
    replayed = json.loads(out)
    assert replayed["position"] == revised.position
    assert replayed["protocol"]["current_version"] == 0
    assert (await concord(*argv[:-1], "not a time"))[0] == 2

    code, printed = await concord("--db", url, "key")
    assert code == 0
    assert "-----BEGIN PUBLIC KEY-----" in printed
    assert "PRIVATE" not in printed
    assert (await asyncio.to_thread(signing_key.stat)).st_mode & 0o777 == 0o600
