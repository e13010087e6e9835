"""An amendment's tracked view says what it is marked against: the version it was proposed
on, the current version once another amendment merged, and, merged, what it changed."""

from __future__ import annotations

from playwright.async_api import expect

from server.demo import PROTOCOL_TEXTS, DemoPerson
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"
AMENDMENTS = f"/api/trials/{TRIAL}/amendments"
SMOKERS = "Non-smokers, or former smokers who stopped at least 12 months ago"


async def test_the_tracked_view_is_labelled_with_the_version_it_is_marked_against(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    # A-2 adds a line to 5.2 as version 1 has it (18 to 65); then A-1 (65 to 75) merges
    # as version 2.
    ivy, sam = await api("ivy"), await api("sam")
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

    page = await sign_in("sam")
    await page.goto(f"/#/t/{TRIAL}/amendments/A-2")
    changes = page.locator("#changes-panel")
    label = changes.locator(".tracked-against")
    # Against its base: only A-2's own line is inserted, nothing A-1 did shows as deleted.
    await expect(label).to_have_text("Tracked against version 1, as proposed on version 1.")
    await expect(changes.locator("ins")).to_contain_text("Non-smokers")
    await expect(changes.locator("del")).to_have_count(0)
    await expect(changes).to_contain_text("Age 18 to 65 years")
    await screenshot(page, "amendment-tracked-against-base")

    # Against the current version 2: merging now would put 65 back where 75 stands.
    await page.get_by_role("tab", name="Against current version 2").click()
    await expect(label).to_have_text(
        "Tracked against the current version 2 (proposed on version 1):"
        " what merging it now would change."
    )
    await expect(changes.locator("del")).to_contain_text("75")
    await screenshot(page, "amendment-tracked-against-current")

    # A-1, merged: what it changed, against the version it was proposed on.
    await page.goto(f"/#/t/{TRIAL}/amendments/A-1")
    await expect(label).to_have_text(
        "What it changed: tracked against version 1, the version it was proposed on"
        " (merged as version 2)."
    )
    await expect(changes.locator("del")).to_contain_text("65")
    await expect(changes.locator("ins")).to_contain_text("75")
    await expect(page.get_by_role("tab", name="Against current version 2")).to_have_count(0)
    overview = page.get_by_role("region", name="Overview of changes")
    await expect(overview.locator("tbody tr")).to_have_count(1)
    await expect(overview.locator("tbody td").last).to_have_text("5.2")
    await screenshot(page, "amendment-merged-tracked")

    # The section A-1 changed names the amendment and who wrote it, not only who merged.
    await page.goto(f"/#/t/{TRIAL}/protocol/5.2")
    await expect(page.locator(".meta").first).to_contain_text(
        "Revision 2, from amendment A-1, written by Dr Ivy Chen; merged by Samira Reyes"
    )
    await screenshot(page, "section-from-merged-amendment")
