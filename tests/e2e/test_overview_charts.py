"""The trial at a glance on its overview: counts, a timeline, each open amendment's
signatures and the patient-engagement charts, with their numbers in tables, updated
live when a comment is dispositioned."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.axe import serious_violations
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"


async def test_the_overview_shows_the_trial_at_a_glance_and_follows_a_disposition(
    sign_in: SignIn, api: Api
) -> None:
    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{TRIAL}")
    glance = ivy.get_by_role("region", name="At a glance")
    counts = glance.get_by_role("list", name="Counts")
    # The demo: version 1 published; A-1 submitted; M-1 voted and closed; D-1 resolved.
    await expect(counts.get_by_role("listitem")).to_have_text(
        [
            re.compile(r"^1\s*version published\s*latest: version 1"),
            re.compile(r"^1\s*open amendment\s*1 awaits signatures"),
            re.compile(r"^1\s*motion\s*0 open, 1 closed"),
            re.compile(r"^1\s*dispute\s*0 open, 1 resolved"),
        ]
    )
    timeline = glance.get_by_role("img", name=re.compile("^Timeline of the trial"))
    await expect(timeline).to_be_visible()
    await expect(timeline.locator("circle")).to_have_count(4)
    await glance.get_by_text("Timeline: the numbers").click()
    rows = glance.get_by_role("table", name="Timeline").locator("tbody tr")
    await expect(rows).to_have_count(4)
    await expect(rows.first).to_contain_text("Version 1 published")
    await expect(glance.get_by_role("table", name="Timeline")).to_contain_text(
        re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s*Amendment A-1 opened")
    )
    progress = glance.locator("ul.amendment-progress li")
    await expect(progress).to_have_count(1)
    await expect(progress).to_contain_text("0 of 1 signature given — awaiting sponsor approval")
    await expect(progress.get_by_role("img", name=re.compile("A-1 signatures"))).to_be_visible()

    engagement = glance.get_by_role("region", name="Patient engagement")
    await expect(engagement).to_contain_text("Patient advocates' comments over time: 1 comment")
    await expect(engagement.locator("svg.comments-chart rect.bar-comments")).to_have_count(1)
    await expect(engagement).to_contain_text("Awaiting a disposition: 1 (100%)")
    await expect(engagement).to_contain_text("no comment has been dispositioned yet")

    # Samira adopts Pat's comment: Ivy's overview redraws the share and the time it took.
    sam = await api("sam")
    await ok(
        sam.post(
            f"/api/trials/{TRIAL}/comments/amendment/A-1/C-1/disposition",
            json={"disposition": "adopted", "reason": "Taxi vouchers are added to 11.3"},
        )
    )
    await expect(engagement).to_contain_text("Adopted: 1 (100%)")
    await expect(engagement).to_contain_text("Awaiting a disposition: 0 (0%)")
    await expect(engagement.locator("svg.share-chart rect.share-adopted")).to_have_count(1)
    await expect(engagement).to_contain_text(
        re.compile(r"Time to disposition: .+ at the median, .+ at the longest \(1 comment")
    )
    await engagement.get_by_text("What became of the advocates' comments: the numbers").click()
    adopted = engagement.get_by_role("row", name=re.compile("^Adopted"))
    await expect(adopted).to_have_text(re.compile(r"Adopted\s*1\s*100%"))
    assert await serious_violations(ivy, "at a glance", "section.at-a-glance") == []
    await screenshot(ivy, "overview-at-a-glance")


async def test_the_charts_fit_a_phone(sign_in: SignIn) -> None:
    pat = await sign_in("pat", width=390)
    await pat.goto(f"/#/t/{TRIAL}")
    glance = pat.get_by_role("region", name="At a glance")
    await expect(
        glance.get_by_role("img", name=re.compile("^Timeline of the trial"))
    ).to_be_visible()
    wide = await pat.evaluate(
        "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert wide <= 0
    await glance.scroll_into_view_if_needed()
    await screenshot(pat, "overview-at-a-glance-phone")
