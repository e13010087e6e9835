"""An auditor scrubs the timeline, sees the trial as it was, verifies the log and
downloads the exports."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.async_api import expect

from tests.e2e.conftest import SignIn, screenshot

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
    await expect(aud.locator(".moment")).to_contain_text("Position 1 of the log")
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
