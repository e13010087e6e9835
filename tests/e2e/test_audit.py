"""An auditor scrubs the timeline, sees the trial as it was, opens a record in full and
its audit trail, compares the protocol at two moments, verifies the log and downloads the
exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from domain.charter import GCP_TRAINING
from server.demo import DemoPerson
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"


async def test_an_auditor_replays_the_trial_verifies_the_log_and_downloads_the_exports(
    sign_in: SignIn, tmp_path: Path
) -> None:
    aud = await sign_in("aud")
    await aud.get_by_role("link", name="ASTHMA-301").click()
    await aud.get_by_role("link", name="Audit").click()
    amendments = aud.get_by_role("region", name="Amendments as they were")
    roles = aud.get_by_role("region", name="Members and roles as they were")
    await expect(aud.locator(".moment")).to_contain_text("the latest")
    await expect(amendments).to_contain_text("submitted")
    await expect(roles).to_contain_text("Samira Reyes")

    # back to the trial's founding: no members, no protocol, nothing else yet
    timeline = aud.get_by_label("Position in the log")
    await timeline.focus()
    await aud.keyboard.press("Home")
    # (the log's first positions hold the accounts' events, before the trial was founded)
    await expect(aud.locator(".moment")).to_contain_text("event 1 of this trial")
    await expect(roles).to_contain_text("No members yet.")
    await expect(aud.get_by_role("region", name="Protocol as it was")).to_contain_text(
        "No protocol yet."
    )
    await expect(amendments).to_contain_text("No amendments yet.")
    for event in range(2, 5):
        await aud.get_by_role("button", name="Next event ▶").click()
        await expect(aud.locator(".moment")).to_contain_text(f"event {event} of this trial")
    await expect(roles).to_contain_text("Alex Morgan")

    # the last events: the advocate's comment, the review remark, the submission;
    # three steps back, A-1 was still a draft
    await aud.get_by_role("button", name="Latest").click()
    await expect(aud.locator(".moment")).to_contain_text("the latest")
    for _ in range(3):
        before = await aud.locator(".moment").text_content()
        await aud.get_by_role("button", name="◀ Previous event").click()
        await expect(aud.locator(".moment")).not_to_have_text(before or "")
    await expect(amendments.locator(".badge")).to_have_text("draft")
    await expect(aud.get_by_role("region", name="Protocol as it was")).to_contain_text("version 1")

    await aud.get_by_role("button", name="Verify the log").click()
    await expect(aud.locator(".verified")).to_contain_text("ok:")

    async with aud.expect_download() as jsonl:
        await aud.get_by_role("link", name="The log (JSON Lines").click()
    saved = tmp_path / "log.jsonl"
    await (await jsonl.value).save_as(saved)
    header = json.loads(saved.read_text().splitlines()[0])
    assert header["trial_id"] == TRIAL
    async with aud.expect_download() as pdf:
        await aud.get_by_role("link", name="The audit report (PDF)").click()
    report = tmp_path / "report.pdf"
    await (await pdf.value).save_as(report)
    assert report.read_bytes().startswith(b"%PDF")
    await screenshot(aud, "auditor-replayed")


async def test_an_auditor_opens_a_record_as_it_was_and_its_audit_trail(sign_in: SignIn) -> None:
    aud = await sign_in("aud")
    await aud.goto(f"/#/t/{TRIAL}/audit")
    await expect(aud.locator(".moment")).to_contain_text("the latest")
    await aud.get_by_role("button", name="A-1 in full").click()
    record = aud.locator(".record-panel")
    heading = record.get_by_role("heading", level=2)
    await expect(heading).to_contain_text("A-1 as it was at position")
    await expect(heading).to_be_focused()
    status = record.locator("dt:text-is('status') + dd")
    await expect(status).to_have_text("submitted")
    await expect(record).to_contain_text("Widen the upper age limit to 75 years")
    await expect(record.locator("dt:text-is('opened_by') + dd")).to_contain_text("(Dr Ivy Chen)")
    # the proposed text in full, line breaks kept
    proposed = record.locator("dt:text-is('text') + dd").first
    await expect(proposed).to_have_js_property(
        "innerText",
        "Age 18 to 75 years\nDiagnosis of asthma for at least 12 months\n"
        "Pre-bronchodilator FEV1 between 40% and 85% of predicted\nSigned informed consent",
    )

    # the record follows the timeline: three events back, A-1 was a draft
    for _ in range(3):
        before = await heading.text_content()
        await aud.get_by_role("button", name="◀ Previous event").click()
        await expect(heading).not_to_have_text(before or "")
    await expect(status).to_have_text("draft")
    replayed = int(await timeline_of(aud).input_value())
    await expect(heading).to_have_text(f"A-1 as it was at position {replayed}")

    await aud.get_by_role("button", name="Audit trail of A-1").click()
    await expect(heading).to_have_text("Audit trail of A-1")
    # one event a group: who, when and why once, then each value it changed
    submitted = record.locator("tbody", has_text="AmendmentSubmitted")
    await expect(submitted).to_have_count(1)
    await expect(submitted.locator(".position")).to_contain_text("later")  # after the moment
    await expect(submitted.locator(".when")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? UTC$")
    )
    await expect(submitted.locator(".who")).to_have_text(
        "Dr Ivy Cheninvestigator, St Mary's University Hospital"
    )
    status_change = submitted.locator("tr", has=aud.locator("td.field-path", has_text="status"))
    await expect(status_change.locator(".old")).to_have_text("draft")
    await expect(status_change.locator(".new")).to_have_text("submitted")
    opened = record.locator("tbody", has_text="AmendmentOpened")
    await expect(opened.locator(".why")).to_have_text("Recruitment Difficulty")
    await expect(opened.locator(".position")).not_to_contain_text("later")
    await screenshot(aud, "auditor-record-trail")

    # narrowed to one person: only Samira's review remark
    await record.get_by_label("Changed by").select_option(label="Samira Reyes")
    await expect(record.locator("tbody")).to_have_count(1)
    await expect(record.locator("tbody")).to_contain_text("ReviewCommented")
    await expect(record.locator("tbody .who")).to_contain_text("Samira Reyes")
    await record.get_by_label("Changed by").select_option(label="anyone")
    await expect(submitted).to_have_count(1)

    # the comments on A-1 are a record too: Pat's comment, in full, by her
    await aud.get_by_role("button", name="Audit trail of the comments on A-1").click()
    await expect(heading).to_have_text("Audit trail of the comments on A-1")
    posted = record.locator("tbody", has_text="CommentPosted")
    await expect(posted.locator(".who")).to_contain_text("Pat Okafor")
    comment = posted.locator("tr", has=aud.locator("td.field-path", has_text="comments.C-1.text"))
    await expect(comment.locator(".new")).to_have_text(
        "Older participants will need transport support for clinic visits;"
        " please say how it will be offered."
    )
    # published versions are offered as moments to compare
    versions = aud.locator("#published-versions option")
    await expect(versions).to_have_text(
        ["the latest position", re.compile("^version 1, effective ")]
    )

    await record.get_by_role("button", name="Close").click()
    await expect(record).to_be_hidden()
    await expect(timeline_of(aud)).to_be_focused()


def timeline_of(page: Page) -> Locator:
    return page.get_by_label("Position in the log")


async def enrol_auditor(api: Api, trial: str, auditor: DemoPerson) -> None:
    """The trial admin admits the inspectorate to ``trial`` and invites the auditor, who
    accepts; then the admin grants the auditor's role."""
    alex = await api("alex")
    await ok(
        alex.post(
            f"/api/trials/{trial}/organizations",
            json={
                "organization_id": "inspectorate",
                "name": "Medicines Inspectorate",
                "kind": "regulator",
            },
        )
    )
    invitation = {"username": auditor.username, "organization_id": "inspectorate"}
    invited = await ok(alex.post(f"/api/trials/{trial}/invitations", json=invitation))
    invitation_id = invited["events"][0]["data"]["invitation_id"]
    aud = await api(auditor.username)
    await ok(aud.post(f"/api/trials/{trial}/invitations/{invitation_id}/acceptance"))
    training = {"training": {"course": GCP_TRAINING, "completed_on": "2026-01-05"}}
    await ok(alex.post(f"/api/trials/{trial}/members/{auditor.user_id}/training", json=training))
    grant = {"role": "auditor", "reason": "Inspection of the draft protocol"}
    await ok(alex.post(f"/api/trials/{trial}/members/{auditor.user_id}/roles", json=grant))


async def test_an_auditor_compares_the_protocol_before_and_after_a_revision(
    sign_in: SignIn, draft_trial: str, api: Api, demo: dict[str, DemoPerson]
) -> None:
    await enrol_auditor(api, draft_trial, demo["aud"])
    ivy = await api("ivy")
    protocol = await ok(ivy.get(f"/api/trials/{draft_trial}/protocol"))
    section = next(s for s in protocol["sections"] if s["number"] == "5.2")
    before = section["text"]
    after = before.replace("40 to 80", "45 to 80")
    assert after != before
    revised = await ok(
        ivy.put(
            f"/api/trials/{draft_trial}/protocol/sections/5.2",
            json={"base_revision": section["revision"], "text": after, "reason": "Widen the range"},
        )
    )

    aud = await sign_in("aud")
    await aud.goto(f"/#/t/{draft_trial}/audit")
    await expect(aud.locator(".moment")).to_contain_text(
        f"Position {revised['position']} of the log"
    )

    # the section's own trail: Ivy's revision, old and new text in full
    await aud.get_by_text("5.2 Inclusion Criteria (revision 2)").click()
    await aud.get_by_role("button", name="Audit trail of section 5.2").click()
    record = aud.locator(".record-panel")
    await expect(record.get_by_role("heading", level=2)).to_have_text("Audit trail of section 5.2")
    revised_event = record.locator("tbody", has_text="SectionRevised")
    await expect(revised_event).to_have_count(1)
    await expect(revised_event.locator(".who")).to_contain_text("Dr Ivy Chen")
    await expect(revised_event.locator(".why")).to_have_text("Widen the range")
    text = revised_event.locator(
        "tr", has=aud.locator("td.field-path", has_text="revisions[1].text")
    )
    await expect(text.locator(".old")).to_have_text("absent")
    await expect(text.locator(".new")).to_have_js_property("innerText", after)
    await expect(record.locator("td.field-path", has_text="1.number")).to_have_count(0)

    # a version that does not exist: the server's problem, beside the button
    compare = aud.get_by_role("form", name="Compare two moments")
    await compare.get_by_label("From").fill("v9")
    await compare.get_by_role("button", name="Show changes").click()
    await expect(compare.get_by_role("alert")).to_contain_text("has no protocol version v9")

    # one event back (before the revision) against the head
    await aud.get_by_role("button", name="◀ Previous event").click()
    await expect(aud.locator(".moment")).not_to_contain_text("the latest")
    # the trial's previous event (accounts' events lie between the trial's in the log)
    moment = await aud.locator(".moment").text_content() or ""
    found = re.match(r"Position (\d+) of the log", moment)
    assert found, moment
    before_position = int(found[1])
    assert before_position < revised["position"]
    await compare.get_by_role("button", name="From the replayed position").click()
    await expect(compare.get_by_label("From")).to_have_value(str(before_position))
    await expect(compare.get_by_label("To")).to_have_value("head")
    await compare.get_by_role("button", name="Show changes").click()
    changes = aud.get_by_role("region", name=re.compile("^Changes from position"))
    await expect(changes.get_by_role("heading", level=3)).to_have_text(
        f"Changes from position {before_position} (draft) to position {revised['position']} (draft)"
    )
    await expect(changes.get_by_role("status")).to_have_text("1 section changed.")
    await expect(changes.locator("del")).to_have_text(["[deleted: 40]"])
    await expect(changes.locator("ins")).to_have_text(["[inserted: 45]"])
    await expect(changes.get_by_role("region", name="Section 5.2")).to_contain_text(
        "Inclusion Criteria changed"
    )
    await changes.get_by_role("tab", name="Clean text").click()
    await expect(changes.get_by_role("tab", name="Clean text")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(changes.locator("del, ins")).to_have_count(0)
    await expect(changes.get_by_role("region", name="Section 5.2")).to_contain_text(
        "Age 45 to 80 years"
    )
    await screenshot(aud, "auditor-compared")


async def test_an_auditor_reads_the_trail_of_the_comments_on_a_section(
    sign_in: SignIn, api: Api
) -> None:
    pat = await api("pat")
    comment = {"text": "Could people up to 80 join? Many of our members are over 65."}
    await ok(pat.post(f"/api/trials/{TRIAL}/comments/section/5.2", json=comment))
    aud = await sign_in("aud")
    await aud.goto(f"/#/t/{TRIAL}/audit")
    await expect(aud.locator(".moment")).to_contain_text("the latest")
    protocol = aud.get_by_role("region", name="Protocol as it was")
    await protocol.get_by_text("5.2 Inclusion Criteria").click()
    await protocol.get_by_role("button", name="Audit trail of the comments on section 5.2").click()
    record = aud.locator(".record-panel")
    heading = record.get_by_role("heading", level=2)
    await expect(heading).to_have_text("Audit trail of the comments on section 5.2")
    posted = record.locator("tbody", has_text="CommentPosted")
    await expect(posted.locator(".who")).to_contain_text("Pat Okafor")
    await expect(posted).to_contain_text("Many of our members are over 65.")
    # a section nobody commented on offers no such trail
    await protocol.get_by_text("5.3 Exclusion Criteria").click()
    uncommented = protocol.get_by_role("button", name="Audit trail of the comments on section 5.3")
    await expect(uncommented).to_have_count(0)
