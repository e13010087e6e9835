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


def in_words(*parts: str) -> str:
    """A trail's field path as the page words it: "Comments \u203a C-1 \u203a Text"."""
    return " \u203a ".join(parts)


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
    status = record.locator("dt:text-is('Status') + dd")
    await expect(status).to_have_text("submitted")
    await expect(record).to_contain_text("Widen the upper age limit to 75 years")
    # fields in words, people by name (their user id on hover)
    opened_by = record.locator("dt:text-is('Opened by') + dd .person")
    await expect(opened_by).to_have_text("Dr Ivy Chen")
    await expect(opened_by).to_have_attribute("title", re.compile(r"^user id "))
    # the proposed text in full, line breaks kept
    proposed = record.locator("dt:text-is('Text') + dd").first
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
    submitted = record.locator("tbody", has_text="Amendment submitted")
    await expect(submitted).to_have_count(1)
    await expect(submitted.locator(".position")).to_contain_text("later")  # after the moment
    await expect(submitted.locator(".when")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? UTC$")
    )
    await expect(submitted.locator(".who")).to_have_text(
        "Dr Ivy Cheninvestigator, St Mary's University Hospital"
    )
    status_change = submitted.locator("tr", has=aud.locator("td.field-path", has_text="Status"))
    await expect(status_change.locator(".old")).to_have_text("draft")
    await expect(status_change.locator(".new")).to_have_text("submitted")
    opened = record.locator("tbody", has_text="Amendment opened")
    await expect(opened.locator(".why")).to_have_text("Recruitment Difficulty")
    await expect(opened.locator(".position")).not_to_contain_text("later")
    await screenshot(aud, "auditor-record-trail")

    # narrowed to one person: only Samira's review remark
    await record.get_by_label("Changed by").select_option(label="Samira Reyes")
    await expect(record.locator("tbody")).to_have_count(1)
    await expect(record.locator("tbody")).to_contain_text("Review commented")
    await expect(record.locator("tbody .who")).to_contain_text("Samira Reyes")
    await record.get_by_label("Changed by").select_option(label="anyone")
    await expect(submitted).to_have_count(1)

    # the comments on A-1 are a record too: Pat's comment, in full, by her
    await aud.get_by_role("button", name="Audit trail of the comments on A-1").click()
    await expect(heading).to_have_text("Audit trail of the comments on A-1")
    posted = record.locator("tbody", has_text="Comment posted")
    await expect(posted.locator(".who")).to_contain_text("Pat Okafor")
    comment = posted.locator(
        "tr", has=aud.locator("td.field-path", has_text=in_words("Comments", "C-1", "Text"))
    )
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
    revised_event = record.locator("tbody", has_text="Section revised")
    await expect(revised_event).to_have_count(1)
    await expect(revised_event.locator(".who")).to_contain_text("Dr Ivy Chen")
    await expect(revised_event.locator(".why")).to_have_text("Widen the range")
    text = revised_event.locator("tr", has=aud.locator("td.field-path[title='revisions[1].text']"))
    await expect(text.locator(".field-path")).to_have_text(in_words("Revisions", "2nd", "Text"))
    await expect(text.locator(".old")).to_have_text("absent")
    await expect(text.locator(".new")).to_have_js_property("innerText", after)
    await expect(record.locator("td.field-path[title$='1.number']")).to_have_count(0)

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
    posted = record.locator("tbody", has_text="Comment posted")
    await expect(posted.locator(".who")).to_contain_text("Pat Okafor")
    await expect(posted).to_contain_text("Many of our members are over 65.")
    # a section nobody commented on offers no such trail
    await protocol.get_by_text("5.3 Exclusion Criteria").click()
    uncommented = protocol.get_by_role("button", name="Audit trail of the comments on section 5.3")
    await expect(uncommented).to_have_count(0)


async def test_the_timeline_reads_in_words_with_markers_filters_and_jumps(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    aud = await sign_in("aud", width=1280)
    await aud.goto(f"/#/t/{TRIAL}/audit")
    await expect(aud.locator("ol.marker-list .tl-go")).to_have_count(5)
    # while Audrey watches, Samira signs A-1: her signature, and the approval it completes
    sam = await api("sam")
    a1 = await ok(sam.get(f"/api/trials/{TRIAL}/amendments/A-1"))
    signing = {
        "meaning": "approval",
        "content_hash": a1["content_hash"],
        "password": demo["sam"].password,
    }
    await ok(sam.post(f"/api/trials/{TRIAL}/amendments/A-1/signatures", json=signing))
    await expect(aud.locator(".moment")).to_contain_text("the latest")
    # the latest event in words: the approval is the system's, after Samira's signature
    now = aud.locator(".moment-event")
    await expect(now).to_contain_text("Amendment A-1 approved (all required signatures given)")
    await expect(now).to_contain_text("by Concord, on Samira Reyes's action")
    await expect(now).to_contain_text("signed by Samira Reyes")
    await expect(aud.locator(".moment time")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
    )

    # the markers: ticks under the slider, and a list to jump from
    markers = aud.locator("ol.marker-list .tl-go")
    await expect(markers).to_have_text(
        [
            "v1",
            "M-1 decided",
            "D-1 resolved",
            "A-1 opened",
            "A-1 submitted",
            "A-1 signed",
            "A-1 approved",
        ]
    )
    await expect(aud.locator(".timeline-marks .tl-tick")).to_have_count(7)
    amendments = aud.get_by_role("region", name="Amendments as they were")
    await expect(amendments.locator(".badge")).to_have_text("approved")
    # one click to the draft (no stepping back event by event)
    await markers.filter(has_text="A-1 opened").click()
    await expect(now).to_have_text(
        "Dr Ivy Chen opened amendment A-1 — Widen the upper age limit to 75 years"
    )
    await expect(amendments.locator(".badge")).to_have_text("draft")
    await expect(aud.locator("ol.marker-list li[aria-current='step']")).to_contain_text(
        "A-1 opened"
    )
    # a tick on the slider goes there too
    await aud.locator(".timeline-marks .tl-tick[title^='v1:']").click()
    await expect(now).to_contain_text("Samira Reyes published version 1 of the protocol")
    await expect(amendments).to_contain_text("No amendments yet.")

    # the events narrowed to one person: only what Pat did
    events = aud.get_by_role("region", name="Events")
    await events.get_by_label("Recorded by").select_option(label="Pat Okafor")
    listed = events.locator("ol.timeline-events li")
    hers = await ok(
        (await api("aud")).get(
            f"/api/trials/{TRIAL}/audit/timeline", params={"by": demo["pat"].user_id}
        )
    )
    count = len(hers["entries"])
    assert count >= 3
    await expect(events.get_by_role("status")).to_have_text(
        f"{count} events within what you chose, oldest first."
    )
    await expect(listed).to_have_count(count)
    for index in range(count):
        await expect(listed.nth(index).locator(".event-text")).to_contain_text(
            re.compile("^Pat Okafor ")
        )
    raised = listed.filter(has_text="raised dispute D-1")
    await raised.get_by_role("button").click()
    await expect(now).to_contain_text("Pat Okafor raised dispute D-1 about section 1.3")
    # ... and to one kind: the signatures
    await events.get_by_label("Recorded by").select_option(label="anyone")
    await events.get_by_label("Kind").select_option(label="signatures")
    await expect(listed).to_have_count(1)
    await expect(listed).to_contain_text("Samira Reyes signed amendment A-1 (approval)")

    # jump to a record by its name
    await aud.get_by_label("Position or record").fill("M-1")
    await aud.get_by_role("button", name="Jump").click()
    await expect(now).to_contain_text("Samira Reyes tabled motion M-1")
    await aud.get_by_label("Position or record").fill("A-9")
    await aud.get_by_role("button", name="Jump").click()
    await expect(aud.get_by_text("This trial has no A-9.")).to_be_visible()

    # A-1's trail at 1280 px: the approval is Concord's on the last signature, naming the
    # signers; every column wraps inside the page instead of being cut off
    await aud.get_by_role("button", name="Latest").click()
    await expect(aud.locator(".moment")).to_contain_text("the latest")
    await aud.get_by_role("button", name="Audit trail of A-1", exact=True).click()
    record = aud.locator(".record-panel")
    approval = record.locator(
        "tbody", has_text="Amendment approved (all required signatures given)"
    )
    await expect(approval.locator(".who")).to_have_text(
        "Concordon the last required signature, by Samira Reyes"
    )
    await expect(approval.locator(".why")).to_have_text("Signed by Samira Reyes")
    await expect(approval.locator(".field-path")).to_have_text("Status")
    scroll = record.locator(".table-scroll")
    widths = await scroll.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] <= widths[1], f"the trail is cut off: {widths}"
    await screenshot(aud, "auditor-timeline")


async def test_the_timeline_fits_a_phone(sign_in: SignIn, api: Api) -> None:
    aud = await sign_in("aud", width=390)
    await aud.goto(f"/#/t/{TRIAL}/audit")
    await expect(aud.locator(".moment-event")).to_contain_text(
        "Pat Okafor commented on amendment A-1"
    )
    # live: the next event is read in words as it happens
    pat = await api("pat")
    comment = {"text": "Could the week-12 visit be done from home?"}
    await ok(pat.post(f"/api/trials/{TRIAL}/comments/section/1.3", json=comment))
    await expect(aud.locator(".moment-event")).to_have_text(
        "Pat Okafor commented on section 1.3 — Could the week-12 visit be done from home?"
    )
    await expect(timeline_of(aud)).to_have_attribute(
        "aria-valuetext", re.compile(r"^position \d+: Pat Okafor commented on section 1\.3$")
    )
    await expect(aud.locator("ol.marker-list .tl-go")).to_have_count(5)
    await aud.locator("ol.marker-list .tl-go").filter(has_text="A-1 submitted").click()
    await expect(aud.locator(".moment-event")).to_contain_text(
        "Dr Ivy Chen submitted amendment A-1"
    )
    widths = await aud.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    await screenshot(aud, "auditor-timeline-phone")
