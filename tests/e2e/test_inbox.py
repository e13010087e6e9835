"""The inbox, live across two people: Ivy submits an amendment and Samira's count goes up
while her inbox is open; Samira signs and her signature item gives way to the merge, while
Ivy watches her amendment's progress; an auditor is told nothing waits."""

from __future__ import annotations

import re

from playwright.async_api import expect

from server.demo import DemoPerson
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"
AMENDMENTS = f"/api/trials/{TRIAL}/amendments"
SUMMARY = "List oral corticosteroids among the exclusions"


async def test_the_inbox_fills_and_empties_live_across_two_people(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    sam = await sign_in("sam")
    # A-1 awaits her approval; Pat's comment on it awaits a disposition.
    inbox_link = sam.get_by_role("link", name=re.compile(r"^Inbox\s*,\s*2 waiting$"))
    await expect(inbox_link).to_be_visible()
    await inbox_link.click()
    await expect(sam.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    trial = sam.get_by_role("region", name=re.compile("ASTHMA-301"))
    await expect(trial.get_by_role("link", name=re.compile(r"^Sign A-1 "))).to_be_visible()
    await expect(trial.locator("li").first).to_contain_text("waiting since")
    await expect(trial.locator("time").first).to_have_text(
        re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
    )

    ivy = await sign_in("ivy")
    await ivy.get_by_role("link", name=re.compile("^Inbox")).click()
    await expect(ivy.locator(".inbox-trial .inbox-items")).to_contain_text(
        "A-1 (Widen the upper age limit to 75 years): 0 of 1 signatures"
    )

    # Ivy submits A-2 (through the API: her page is not the subject here).
    ivy_api = await api("ivy")
    await ok(
        ivy_api.post(
            AMENDMENTS,
            json={
                "amendment_id": "A-2",
                "base_version": 1,
                "details": {
                    "summary": SUMMARY,
                    "primary_reason": "Recruitment Difficulty",
                    "safety_or_rights_impact": {"likely": False, "explanation": "Same care"},
                    "data_reliability_impact": {"likely": False, "explanation": "Same data"},
                    "enrollment": {"value": 35, "unit": "percent"},
                },
            },
        )
    )
    change = {
        "number": "5.3",
        "heading": "Exclusion Criteria",
        "text": "Current smoker\nPregnancy or breastfeeding\nOral corticosteroids within 4 weeks",
        "description": "Exclude recent oral corticosteroids",
        "rationale": "They confound the primary endpoint",
    }
    await ok(ivy_api.post(f"{AMENDMENTS}/A-2/changes", json={"change": change}))
    await ok(ivy_api.post(f"{AMENDMENTS}/A-2/submission", json={}))

    # Samira's count and open inbox follow at once; so does Ivy's own progress.
    await expect(
        sam.get_by_role("link", name=re.compile(r"^Inbox\s*,\s*3 waiting$"))
    ).to_be_visible()
    sign_a2 = trial.get_by_role("link", name=f"Sign A-2 ({SUMMARY}): sponsor approval awaited")
    await expect(sign_a2).to_be_visible()
    await expect(sign_a2).to_have_attribute("href", f"#/t/{TRIAL}/amendments/A-2")
    await expect(ivy.locator(".inbox-trial .inbox-items")).to_contain_text(
        f"A-2 ({SUMMARY}): 0 of 1 signatures"
    )

    # Samira signs A-2: her signature item goes away, the merge takes its place.
    sam_api = await api("sam")
    a2 = await ok(sam_api.get(f"{AMENDMENTS}/A-2"))
    signing = {
        "meaning": "approval",
        "content_hash": a2["content_hash"],
        "password": demo["sam"].password,
    }
    await ok(sam_api.post(f"{AMENDMENTS}/A-2/signatures", json=signing))
    await expect(sign_a2).to_have_count(0)
    await expect(trial.get_by_role("link", name=re.compile(r"^Merge A-2 "))).to_be_visible()
    await expect(
        sam.get_by_role("link", name=re.compile(r"^Inbox\s*,\s*3 waiting$"))
    ).to_be_visible()
    await expect(ivy.locator(".inbox-trial .inbox-items")).to_contain_text(
        f"A-2 ({SUMMARY}) is approved"
    )
    await screenshot(sam, "inbox-live")

    # Each item links to where it is done.
    await trial.get_by_role("link", name=re.compile(r"^Sign A-1 ")).click()
    await expect(sam).to_have_url(re.compile(f"#/t/{TRIAL}/amendments/A-1$"))


async def test_a_trial_overview_lists_what_waits_there_and_says_when_nothing_does(
    sign_in: SignIn,
) -> None:
    sam = await sign_in("sam")
    await sam.get_by_role("link", name=re.compile("ASTHMA-301")).click()
    waiting = sam.get_by_role("region", name="Waiting for you")
    await expect(waiting.get_by_role("link", name=re.compile(r"^Sign A-1 "))).to_be_visible()
    await expect(waiting).to_contain_text(
        "1 patient advocate comment on amendment A-1 awaits a disposition"
    )

    aud = await sign_in("aud", width=390)
    await expect(
        aud.get_by_role("link", name=re.compile(r"^Inbox\s*,\s*nothing waiting$"))
    ).to_be_visible()
    await aud.get_by_role("link", name=re.compile("ASTHMA-301")).click()
    await expect(aud.get_by_role("region", name="Waiting for you")).to_contain_text(
        "Nothing waits for you in this trial."
    )
    await aud.get_by_role("link", name=re.compile(r"^Inbox\s*,\s*nothing waiting$")).click()
    await expect(aud.get_by_role("main")).to_contain_text("Nothing waits for you.")
    await screenshot(aud, "inbox-empty-390")


CONSENT = {
    "number": "11.3",
    "heading": "Informed Consent Process",
    "text": "Written informed consent is obtained before any trial procedure, with a video.",
    "description": "Add a consent video",
    "rationale": "Participants asked for it",
}
VIDEO = {
    "summary": "Explain the trial with a short video at consent",
    "primary_reason": "Recruitment Difficulty",
    "safety_or_rights_impact": {"likely": False, "explanation": "Same consent"},
    "data_reliability_impact": {"likely": False, "explanation": "No data change"},
    "enrollment": {"value": 35, "unit": "percent"},
}


async def test_a_voided_signature_and_what_became_of_a_comment_are_told(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    # Ivy's A-2 needs Samira's approval and a patient advocate's review: Samira signs.
    ivy_api, sam_api = await api("ivy"), await api("sam")
    await ok(
        ivy_api.post(AMENDMENTS, json={"amendment_id": "A-2", "base_version": 1, "details": VIDEO})
    )
    await ok(ivy_api.post(f"{AMENDMENTS}/A-2/changes", json={"change": CONSENT}))
    await ok(ivy_api.post(f"{AMENDMENTS}/A-2/submission", json={}))
    a2 = await ok(sam_api.get(f"{AMENDMENTS}/A-2"))
    signing = {
        "meaning": "approval",
        "content_hash": a2["content_hash"],
        "password": demo["sam"].password,
    }
    await ok(sam_api.post(f"{AMENDMENTS}/A-2/signatures", json=signing))

    sam = await sign_in("sam")
    await sam.get_by_role("link", name=re.compile("^Inbox")).click()
    trial = sam.get_by_role("region", name=re.compile("ASTHMA-301"))
    await expect(trial.get_by_role("link", name=re.compile(r"^Sign A-1 "))).to_be_visible()
    await expect(trial.get_by_role("link", name=re.compile("A-2"))).to_have_count(0)

    # Ivy revises A-2: Samira's open inbox says at once that her signature was voided.
    summary = "Explain the trial with a subtitled video"
    await ok(
        ivy_api.put(f"{AMENDMENTS}/A-2/details", json={"details": {**VIDEO, "summary": summary}})
    )
    voided = trial.get_by_role(
        "link",
        name=re.compile(
            rf"^Your signature on A-2 \({summary}\) was voided by Dr Ivy Chen's revision on"
            r" \d{4}-\d\d-\d\d \d\d:\d\d UTC: sign again"
        ),
    )
    await expect(voided).to_be_visible()
    await expect(voided).to_have_attribute("href", f"#/t/{TRIAL}/amendments/A-2")
    await screenshot(sam, "inbox-voided")

    # Pat is told what became of her comment on A-1, under recent updates (not counted).
    pat = await sign_in("pat", width=390)
    await pat.get_by_role("link", name=re.compile("^Inbox")).click()
    updates = pat.get_by_role("region", name="Recent updates")
    await expect(updates).to_contain_text(
        "Nothing new about your comments and amendments in the last 30 days."
    )
    await ok(
        sam_api.post(
            f"/api/trials/{TRIAL}/comments/amendment/A-1/C-1/disposition",
            json={"disposition": "adopted", "reason": "Taxi vouchers from age 65"},
        )
    )
    adopted = updates.get_by_role(
        "link", name="Samira Reyes adopted your comment on amendment A-1: Taxi vouchers from age 65"
    )
    await expect(adopted).to_be_visible()
    await expect(adopted).to_have_attribute("href", f"#/t/{TRIAL}/amendments/A-1")
    # Only A-2's review waits for her: the update is not counted.
    await expect(
        pat.get_by_role("link", name=re.compile(r"^Inbox\s*,\s*1 waiting$"))
    ).to_be_visible()
    await screenshot(pat, "inbox-updates-390")
    await adopted.click()
    await expect(pat).to_have_url(re.compile(f"#/t/{TRIAL}/amendments/A-1$"))
