"""Amendments: a researcher writes and submits one; a sponsor lead reviews and signs;
a patient advocate reviews participant-facing changes and sees what became of comments."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from server.demo import DemoPerson
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"
CONSENT = (
    "Written informed consent is obtained before any trial procedure. Participants receive"
    " the lay summary and a video explaining the trial, and may take the information sheet"
    " home before deciding."
)


async def test_a_researcher_opens_an_amendment_with_m11_details_and_submits_it(
    sign_in: SignIn,
) -> None:
    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{TRIAL}/amendments")
    await ivy.get_by_role("link", name="Open an amendment").click()
    await ivy.get_by_label("Amendment summary").fill("Home spirometry at week 12")
    await ivy.get_by_label("Primary reason").select_option("Investigator/Site Feedback")
    await ivy.get_by_label("Recruitment Difficulty").check()
    safety = ivy.get_by_role("group", name="safety or rights of participants")
    await safety.get_by_label("No").check()
    await safety.get_by_label("Explanation").fill("The same measurement, supervised by video")
    data = ivy.get_by_role("group", name="reliability and robustness of the data")
    await data.get_by_label("Yes").check()
    await data.get_by_label("Explanation").fill("Home spirometry changes how FEV1 is measured")
    await ivy.get_by_label("Enrollment at the time of the amendment").fill("40")
    await ivy.get_by_role("button", name="Open amendment").click()

    await expect(ivy.get_by_role("heading", name="Amendment A-2")).to_be_visible()
    await expect(ivy.locator(".badge.status-draft")).to_have_text("draft")
    details = ivy.locator("dl.details")
    await expect(details).to_contain_text("Investigator/Site Feedback")
    await expect(details).to_contain_text("Yes: needs the ethics committee's approval")

    await ivy.get_by_label("Section", exact=True).select_option("1.3")
    text = ivy.get_by_role("textbox", name="Proposed text of section 1.3")
    await expect(text).to_contain_text(re.compile(r"^Visit 1 \(week -2\): screening"))
    await type_after(ivy, text, "Visit 4 (week 12): ", "home ")
    await type_after(ivy, text, "home spirometry", " by video call")
    await expect(ivy.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    await ivy.get_by_label("Description of the change").fill("Week-12 spirometry at home")
    await ivy.get_by_label("Rationale").fill("Halves travel for participants (dispute D-1)")
    await ivy.get_by_role("button", name="Propose change").click()

    change = ivy.locator("#changes-panel")
    await expect(change.locator("ins")).to_contain_text(["home", "by video call"])
    await expect(
        ivy.get_by_role("table").filter(has_text="Week-12 spirometry at home")
    ).to_be_visible()
    await ivy.get_by_role("button", name="Submit for review").click()
    await expect(ivy.locator(".badge.status-submitted")).to_have_text("submitted")
    requirements = ivy.locator("ul.requirements")
    for needed in ("sponsor approval", "ethics committee approval", "patient advocate review"):
        await expect(requirements).to_contain_text(needed)
    # Still revisable once submitted (a change invalidates signatures given), not resubmitted.
    await expect(ivy.get_by_role("button", name="Propose change")).to_be_visible()
    await expect(ivy.get_by_role("button", name="Submit for review")).to_have_count(0)
    await screenshot(ivy, "researcher-amendment-submitted")


async def type_after(page: Page, editor: Locator, anchor: str, words: str) -> None:
    """Put the caret right after ``anchor`` in the editor's text and type ``words``."""
    await editor.click()
    await editor.evaluate(
        """(element, anchor) => {
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(anchor);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at + anchor.length);
                range.collapse(true);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                return;
            }
            throw new Error(`no ${anchor} in the editor`);
        }""",
        anchor,
    )
    await page.keyboard.type(words)


async def test_a_sponsor_lead_reviews_tracked_and_clean_text_and_signs(
    sign_in: SignIn, demo: dict[str, DemoPerson]
) -> None:
    sam = await sign_in("sam")
    await sam.get_by_role("link", name="ASTHMA-301").click()
    awaiting = sam.get_by_role("region", name="Waiting for you")
    await expect(awaiting).to_contain_text("sponsor approval")
    await awaiting.get_by_role(
        "link", name="Sign A-1 (Widen the upper age limit to 75 years): sponsor approval awaited"
    ).click()

    changes = sam.locator("#changes-panel")
    await expect(changes.locator("del")).to_contain_text("65")
    await expect(changes.locator("ins")).to_contain_text("75")
    await sam.get_by_role("tab", name="Clean text").click()
    await expect(sam.get_by_role("tab", name="Clean text")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(changes.locator("del")).to_have_count(0)
    await expect(changes).to_contain_text("Age 18 to 75 years")

    await sam.get_by_role("button", name="Review, then sign").click()
    sign = sam.get_by_role("region", name="Your signature")
    await expect(sign.locator(".meaning-fixed")).to_contain_text("approval")
    await sign.get_by_label("Password").fill("not my password")
    await sign.get_by_role("button", name="Sign").click()
    problem = sign.get_by_role("alert")
    await expect(problem).to_contain_text("Signature not confirmed")
    await expect(problem).to_contain_text("the password does not match; nothing was signed")

    await sign.get_by_label("Password").fill(demo["sam"].password)
    await sign.get_by_role("button", name="Sign").click()
    await expect(sam.locator(".badge.status-approved")).to_have_text("approved")
    await expect(sam.locator("table.signatures")).to_contain_text("Samira Reyes")
    await expect(sam.locator("table.signatures")).to_contain_text("approval")
    await expect(sam.get_by_role("region", name="Your signature")).to_have_count(0)
    await screenshot(sam, "sponsor-signed")


async def test_a_patient_advocate_reviews_participant_facing_changes_and_sees_dispositions(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    amendments = f"/api/trials/{TRIAL}/amendments"
    ivy = await api("ivy")
    await ok(
        ivy.post(
            amendments,
            json={
                "amendment_id": "A-2",
                "base_version": 1,
                "details": {
                    "summary": "Explain the trial with a short video at consent",
                    "primary_reason": "Recruitment Difficulty",
                    "safety_or_rights_impact": {"likely": False, "explanation": "Same consent"},
                    "data_reliability_impact": {"likely": False, "explanation": "No data change"},
                    "enrollment": {"value": 35, "unit": "percent"},
                },
            },
        )
    )
    change = {
        "number": "11.3",
        "heading": "Informed Consent Process",
        "text": CONSENT,
        "description": "Add a consent video",
        "rationale": "Participants asked for it",
    }
    await ok(ivy.post(f"{amendments}/A-2/changes", json={"change": change}))
    await ok(ivy.post(f"{amendments}/A-2/submission", json={}))
    sam = await api("sam")
    await ok(
        sam.post(
            f"/api/trials/{TRIAL}/comments/amendment/A-1/C-1/disposition",
            json={"disposition": "adopted", "reason": "Taxi vouchers are offered from age 65"},
        )
    )

    pat = await sign_in("pat")
    await pat.get_by_role("link", name="ASTHMA-301").click()
    awaiting = pat.get_by_role("region", name="Waiting for you")
    await expect(awaiting).to_contain_text("patient advocate review")
    await expect(awaiting).to_contain_text("participant-facing")
    await expect(awaiting).not_to_contain_text("A-1")
    mine = pat.get_by_role("region", name="Your comments and what became of them")
    await expect(mine).to_contain_text(
        "adopted by Samira Reyes: Taxi vouchers are offered from age 65"
    )

    await awaiting.get_by_role(
        "link",
        name="Review A-2 (Explain the trial with a short video at consent): patient advocate"
        " review awaited (participant-facing: 11.3)",
    ).click()
    await expect(pat.locator("#changes-panel ins")).to_contain_text("a video explaining the trial")
    await expect(pat.locator("#changes-panel .badge.facing")).to_be_visible()
    await pat.get_by_role("tab", name="Discussion").click()
    await pat.get_by_label("Your comment").fill(
        "Please offer the video with subtitles <i>and</i> audio description."
    )
    await pat.get_by_role("button", name="Post comment").click()
    comment = pat.locator("li.comment").filter(has_text="subtitles <i>and</i> audio description")
    await expect(comment).to_contain_text("awaiting disposition")
    await expect(comment.locator("i")).to_have_count(0)

    await pat.get_by_role("tab", name="Signatures").click()
    sign = pat.get_by_role("region", name="Your signature")
    await expect(sign.locator(".meaning-fixed")).to_contain_text("review")
    await sign.get_by_label("Password").fill(demo["pat"].password)
    await sign.get_by_role("button", name="Sign").click()
    await expect(pat.locator("table.signatures")).to_contain_text("Pat Okafor")
    review = pat.locator("ul.requirements li").filter(has_text="patient advocate review")
    await expect(review).to_contain_text("given")
    await expect(pat.locator(".badge.status-submitted")).to_have_text("submitted")
    await screenshot(pat, "advocate-commented")


async def test_proposed_changes_read_as_rich_text_tracked_against_the_base_version(
    sign_in: SignIn, api: Api
) -> None:
    """A change that makes a word bold and adds a table reads with the word bold and a
    table (no ``**`` or ``|`` anywhere), tracked against the amendment's base version with
    the table's rows marked inserted, and clean."""
    ivy = await api("ivy")
    amendments = f"/api/trials/{TRIAL}/amendments"
    opening = {
        "amendment_id": "A-2",
        "base_version": 1,
        "details": {
            "summary": "Say who may smoke",
            "primary_reason": "New Safety Information Available",
            "safety_or_rights_impact": {"likely": True, "explanation": "Smokers' risk"},
            "data_reliability_impact": {"likely": False, "explanation": "Same measures"},
            "enrollment": {"value": 35, "unit": "percent"},
        },
    }
    await ok(ivy.post(amendments, json=opening))
    protocol = await ok(ivy.get(f"/api/trials/{TRIAL}/protocol"))
    [exclusions] = [s["text"] for s in protocol["sections"] if s["number"] == "5.3"]
    text = exclusions.replace("Pregnancy", "**Pregnancy**") + (
        "\n\n| Smoking status | Eligible |\n| --- | --- |\n| Never smoked | yes |"
    )
    change = {
        "number": "5.3",
        "heading": "Exclusion Criteria",
        "text": text,
        "description": "Smoking status in a table",
        "rationale": "Easier to check at screening",
    }
    await ok(ivy.post(f"{amendments}/A-2/changes", json={"change": change}))

    page = await sign_in("sam")
    await page.goto(f"/#/t/{TRIAL}/amendments/A-2")
    changes = page.locator("#changes-panel")
    await expect(changes.locator(".tracked-against")).to_have_text(
        "Tracked against version 1, as proposed on version 1."
    )
    await expect(changes.locator("ins strong")).to_have_text("Pregnancy")
    await expect(changes.locator("del")).to_contain_text("Pregnancy")
    await expect(changes.locator("del strong")).to_have_count(0)
    await expect(changes.locator("tr.inserted")).to_have_count(2)
    await expect(changes.locator("tr.inserted td")).to_have_text(
        [re.compile("Never smoked"), re.compile("yes")]
    )
    await expect(changes.locator("ins").first).to_contain_text("[inserted:")  # said, not colour
    await expect(changes).not_to_contain_text("**")
    await expect(changes).not_to_contain_text("|")
    await screenshot(page, "amendment-tracked-rich-text")

    await page.get_by_role("tab", name="Clean text").click()
    await expect(changes.locator(".tracked-against")).to_have_count(0)
    await expect(changes.locator(".section-text strong")).to_have_text("Pregnancy")
    await expect(changes.locator("ins, del, tr.inserted")).to_have_count(0)
    await expect(changes.get_by_role("cell", name="Never smoked")).to_be_visible()
    await expect(changes).not_to_contain_text("**")
    await expect(changes).not_to_contain_text("|")
    await screenshot(page, "amendment-clean-rich-text")
