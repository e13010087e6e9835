"""Reviewing an amendment as a pull request over HTTP: comments anchored to a section of
the change and replies, a revision after a signature that names who signed and who
revised, and the amendment's history with times and people (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx

from server.demo import DemoPerson
from tests.integration.server.conftest import Api

CONSENT_CHANGE = {
    "number": "11.3",
    "heading": "Informed Consent Process",
    "text": "Written informed consent is obtained before any trial procedure, with a video.",
    "description": "Add a consent video",
    "rationale": "Participants asked for it",
}
DETAILS = {
    "summary": "Explain the trial with a short video at consent",
    "primary_reason": "Recruitment Difficulty",
    "safety_or_rights_impact": {"likely": False, "explanation": "Same consent"},
    "data_reliability_impact": {"likely": False, "explanation": "No data change"},
    "enrollment": {"value": 35, "unit": "percent"},
}


async def _head(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> str:
    return (await client.get(path, headers=headers)).headers["etag"]


async def test_comments_are_anchored_to_a_changed_section_and_replied_to(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    pat, ivy = await as_user("pat"), await as_user("ivy")
    thread = f"{trial}/comments/amendment/A-1"
    anchored = await app_client.post(
        thread, json={"text": "Is 75 safe for spirometry?", "section": "5.2"}, headers=pat
    )
    assert anchored.status_code == 201, anchored.text
    [posted] = anchored.json()["events"]
    assert posted["data"]["section"] == "5.2"
    comment_id = posted["data"]["comment_id"]

    before = await _head(app_client, thread, pat)
    elsewhere = await app_client.post(
        thread, json={"text": "And the schedule?", "section": "1.3"}, headers=pat
    )
    assert elsewhere.status_code == 404
    assert elsewhere.headers["content-type"] == "application/problem+json"
    assert elsewhere.json()["title"] == "The amendment proposes no change to this section"
    assert "A-1 proposes no change to section 1.3" in elsewhere.json()["detail"]
    on_section = await app_client.post(
        f"{trial}/comments/section/5.2", json={"text": "x", "section": "5.2"}, headers=pat
    )
    assert on_section.status_code == 422
    assert await _head(app_client, thread, pat) == before

    reply = await app_client.post(
        thread,
        json={"text": "Yes: the 2019 guideline covers it", "in_reply_to": comment_id},
        headers=ivy,
    )
    assert reply.status_code == 201, reply.text
    comments = (await app_client.get(thread, headers=ivy)).json()["comments"]
    assert comments[comment_id]["section"] == "5.2"
    replied = comments[reply.json()["events"][0]["data"]["comment_id"]]
    assert (replied["in_reply_to"], replied["section"]) == (comment_id, None)


async def test_a_revision_after_a_signature_names_who_signed_and_who_revised(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, demo: dict[str, DemoPerson]
) -> None:
    ivy, sam = await as_user("ivy"), await as_user("sam")
    amendments = f"{trial}/amendments"
    opened = await app_client.post(
        amendments, json={"amendment_id": "A-2", "base_version": 1, "details": DETAILS}, headers=ivy
    )
    assert opened.status_code == 201, opened.text
    for step in (
        app_client.post(f"{amendments}/A-2/changes", json={"change": CONSENT_CHANGE}, headers=ivy),
        app_client.post(f"{amendments}/A-2/submission", json={}, headers=ivy),
    ):
        assert (await step).status_code in (200, 201)
    a2 = (await app_client.get(f"{amendments}/A-2", headers=sam)).json()
    password = demo["sam"].password
    signed = await app_client.post(
        f"{amendments}/A-2/signatures",
        json={"meaning": "approval", "content_hash": a2["content_hash"], "password": password},
        headers=sam,
    )
    assert signed.status_code == 201, signed.text
    assert (await app_client.get(f"{amendments}/A-2", headers=sam)).json()["status"] == "submitted"

    revised = await app_client.put(
        f"{amendments}/A-2/details",
        json={"details": {**DETAILS, "summary": "Explain the trial with a subtitled video"}},
        headers=ivy,
    )
    assert revised.status_code == 200, revised.text
    invalidated = revised.json()["events"][-1]
    assert invalidated["type"] == "SignaturesInvalidated"
    assert invalidated["data"]["signers"] == [demo["sam"].user_id]
    assert invalidated["data"]["invalidated_by"] == demo["ivy"].user_id
    after = (await app_client.get(f"{amendments}/A-2", headers=sam)).json()
    assert after["signatures"] == []
    assert [s["printed_name"] for s in after["invalidated_signatures"]] == ["Samira Reyes"]
    assert {r["name"] for r in after["missing_signatures"]} >= {"sponsor approval"}

    await app_client.post(
        f"{trial}/comments/amendment/A-2", json={"text": "Subtitles too?"}, headers=sam
    )
    history = await app_client.get(f"{amendments}/A-2/history", headers=sam)
    assert history.status_code == 200
    events = history.json()["events"]
    assert [e["type"] for e in events] == [
        "AmendmentOpened",
        "SectionChangeProposed",
        "AmendmentSubmitted",
        "SignatureApplied",
        "AmendmentDetailsRevised",
        "SignaturesInvalidated",
        "CommentPosted",
    ]
    positions = [e["position"] for e in events]
    assert positions == sorted(positions)
    assert events[3]["actor"] == demo["sam"].user_id
    assert events[4]["actor"] == demo["ivy"].user_id
    assert all(e["recorded_at"].endswith("+00:00") for e in events)
    missing = await app_client.get(f"{amendments}/A-9/history", headers=sam)
    assert missing.status_code == 404
