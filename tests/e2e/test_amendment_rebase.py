"""An amendment whose section another amendment changed first: its author rebases it onto
the new version, writing the text the section should now have."""

from __future__ import annotations

from playwright.async_api import expect

from server.demo import PROTOCOL_TEXTS, DemoPerson
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"
AMENDMENTS = f"/api/trials/{TRIAL}/amendments"
SMOKERS = "Non-smokers, or former smokers who stopped at least 12 months ago"


async def test_an_author_rebases_an_amendment_in_conflict_onto_the_new_version(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    # A-2 adds a line to 5.2 as version 1 has it; then A-1, which raises the age limit
    # in 5.2, is approved and merged as version 2: A-2 is in conflict.
    ivy = await api("ivy")
    opening = {
        "amendment_id": "A-2",
        "base_version": 1,
        "details": {
            "summary": "Exclude current smokers",
            "primary_reason": "New Safety Information Available",
            "safety_or_rights_impact": {"likely": True, "explanation": "Smokers' risk"},
            "data_reliability_impact": {"likely": False, "explanation": "Same measures"},
            "enrollment": {"value": 35, "unit": "percent"},
        },
    }
    await ok(ivy.post(AMENDMENTS, json=opening))
    change = {
        "number": "5.2",
        "heading": "Inclusion Criteria",
        "text": PROTOCOL_TEXTS["5.2"].rstrip("\n") + "\n" + SMOKERS,
        "description": "Smoking status",
        "rationale": "Safety of the study drug in smokers is unknown",
    }
    await ok(ivy.post(f"{AMENDMENTS}/A-2/changes", json={"change": change}))
    sam = await api("sam")
    a1 = await ok(sam.get(f"{AMENDMENTS}/A-1"))
    signing = {"meaning": "approval", "content_hash": a1["content_hash"]}
    await ok(
        sam.post(f"{AMENDMENTS}/A-1/signatures", json=signing | {"password": demo["sam"].password})
    )
    disposition = {"disposition": "adopted", "reason": "Taxi vouchers are added to 11.3"}
    await ok(
        ivy.post(f"/api/trials/{TRIAL}/comments/amendment/A-1/C-1/disposition", json=disposition)
    )
    await ok(sam.post(f"{AMENDMENTS}/A-1/merge", json={"effective_date": "2030-01-01"}))

    page = await sign_in("ivy")
    await page.goto(f"/#/t/{TRIAL}/amendments/A-2")
    await expect(page.locator(".warning").first).to_contain_text(
        "In conflict: sections 5.2 were changed by A-1 (version 2)"
    )
    rebase = page.get_by_role("region", name="Rebase onto version 2")
    await expect(rebase.locator("pre")).to_contain_text("Age 18 to 75 years")
    resolved = PROTOCOL_TEXTS["5.2"].replace("18 to 65", "18 to 75").rstrip("\n") + "\n" + SMOKERS
    text = rebase.get_by_label("Text of 5.2 to propose on version 2")
    # The page may still be taking in the events written just before it opened: a rebuild
    # between finding the box and typing would leave the typing in a box no longer shown.
    for _ in range(3):
        await text.fill(resolved)
        try:
            await expect(text).to_have_value(resolved, timeout=3000)
            break
        except AssertionError:
            continue
    await expect(text).to_have_value(resolved)
    await screenshot(page, "amendment-in-conflict")
    await rebase.get_by_role("button", name="Rebase onto version 2").click()

    await expect(page.locator(".meta")).to_contain_text("Base version 2")
    await expect(page.get_by_role("region", name="Rebase onto version 2")).to_have_count(0)
    await expect(page.get_by_text("In conflict:")).to_have_count(0)
    await expect(page.locator("#changes-panel ins")).to_have_count(1)  # (retried: strict)
    await expect(page.locator("#changes-panel ins")).to_contain_text("Non-smokers")
    await expect(page.locator("#changes-panel del")).to_have_count(0)
    await screenshot(page, "amendment-rebased")
