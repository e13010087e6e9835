"""Researchers in a draft protocol: presence, and the edit conflicts a script's stale
revision records (the web writes shared texts: tests/e2e/test_coediting.py)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.conftest import Api, SignIn, screenshot

SECTION_TEXT = "Age 40 to 80 years\nSmoking history of 10 pack-years or more"


async def open_section(page: Page, trial: str, number: str) -> None:
    await page.goto(f"/#/t/{trial}/protocol/{number}")
    await expect(page.locator("#section-heading")).to_contain_text(number)


async def revise_over_the_api(api: Api, username: str, trial: str, text: str) -> None:
    """A script revises section 5.2 from revision 1 (the web writes shared texts instead)."""
    client = await api(username)
    await client.put(
        f"/api/trials/{trial}/protocol/sections/5.2",
        json={"base_revision": 1, "text": text, "reason": "A colleague's edit"},
    )


async def test_colleagues_see_each_other_in_the_section(sign_in: SignIn, draft_trial: str) -> None:
    ivy = await sign_in("ivy")
    omar = await sign_in("omar")
    await ivy.goto(f"/#/t/{draft_trial}")
    await ivy.get_by_role("link", name="Protocol", exact=True).first.click()
    await ivy.get_by_role("link", name="5.2 Inclusion Criteria").click()
    await expect(ivy.locator("#section-heading")).to_have_text("5.2 Inclusion Criteria")
    await open_section(omar, draft_trial, "5.2")
    await expect(ivy.locator(".presence")).to_contain_text("Dr Omar Haddad")
    await expect(omar.locator(".presence")).to_contain_text("Dr Ivy Chen")
    await expect(omar.locator(".outline")).to_contain_text("Dr Ivy Chen")
    await screenshot(ivy, "researchers-presence")


async def test_conflicting_edits_are_settled_in_the_conflict_view(
    sign_in: SignIn, draft_trial: str, api: Api
) -> None:
    ivy = await sign_in("ivy")
    omar = await sign_in("omar")
    for page in (ivy, omar):
        await open_section(page, draft_trial, "5.2")

    await revise_over_the_api(api, "ivy", draft_trial, SECTION_TEXT.replace("40 to", "45 to"))
    await expect(omar.locator(".meta")).to_contain_text("Revision 2, last written by Dr Ivy Chen")
    await revise_over_the_api(
        api, "omar", draft_trial, SECTION_TEXT.replace("40 to 80", "40 to 75")
    )

    conflict = ivy.get_by_role("region", name="Edit conflict 1 in section 5.2")
    await expect(conflict).to_be_visible()
    await expect(omar.get_by_role("region", name="Edit conflict 1 in section 5.2")).to_be_visible()
    await expect(conflict.locator("mark.removed")).to_have_text(["45", "80"])
    await expect(conflict.locator("mark.added")).to_have_text(["40", "75"])
    await expect(ivy.locator(".outline .badge.conflict")).to_have_count(1)

    # Omar's reason is kept with his proposal, and starts the resolution's reason.
    await expect(conflict).to_contain_text("Dr Omar Haddad's reason: A colleague's edit")
    reason = conflict.get_by_label("Reason for the resolution")
    await expect(reason).to_have_value("A colleague's edit")
    merged = SECTION_TEXT.replace("40 to 80", "45 to 75")
    await conflict.get_by_label("Merged text").fill(merged)
    await reason.fill("")
    await conflict.get_by_role("button", name="Record merged text").click()
    await expect(conflict.get_by_role("alert")).to_contain_text("say why edit conflict 1")
    await reason.fill("Ivy's lower limit, Omar's upper one")
    await conflict.get_by_role("button", name="Record merged text").click()

    for page in (ivy, omar):
        await expect(
            page.get_by_role("region", name="Edit conflict 1 in section 5.2")
        ).to_have_count(0)
        await expect(page.locator(".section-text")).to_have_text(merged)
        await expect(
            page.get_by_role("status").filter(has_text="Edit conflict 1 was settled by Dr Ivy Chen")
        ).to_be_visible()
    await expect(omar.locator(".meta")).to_contain_text("Revision 3, last written by Dr Ivy Chen")
    protocol = (await (await api("omar")).get(f"/api/trials/{draft_trial}/protocol")).json()
    assert protocol["open_conflicts"] == []
    trail = await (await api("alex")).get(f"/api/trials/{draft_trial}/audit/trail?record=protocol")
    why = {row["event"]: row["reason"] for row in trail.json()}
    assert why["SectionEditConflicted"] == "A colleague's edit"
    assert why["SectionConflictResolved"] == "Ivy's lower limit, Omar's upper one"
    await screenshot(omar, "researchers-conflict-resolved")


async def test_merged_text_being_typed_survives_a_live_update(
    sign_in: SignIn, draft_trial: str, api: Api
) -> None:
    ivy = await sign_in("ivy")
    omar = await sign_in("omar")
    for page in (ivy, omar):
        await open_section(page, draft_trial, "5.2")
    await revise_over_the_api(api, "ivy", draft_trial, SECTION_TEXT.replace("40 to", "45 to"))
    await expect(omar.locator(".meta")).to_contain_text("Revision 2")
    await revise_over_the_api(
        api, "omar", draft_trial, SECTION_TEXT.replace("40 to 80", "40 to 75")
    )
    conflict = ivy.get_by_role("region", name="Edit conflict 1 in section 5.2")
    await expect(conflict).to_be_visible()
    await expect(ivy.locator(".presence")).to_contain_text("Dr Omar Haddad")

    merged = SECTION_TEXT.replace("40 to 80", "45 to 75")
    await conflict.get_by_label("Merged text").fill(merged)
    # Omar goes to another section: Ivy's page is rebuilt by the live roster meanwhile.
    await open_section(omar, draft_trial, "5.3")
    await expect(ivy.locator(".presence")).to_have_text("Nobody else is in this section.")
    await expect(conflict.get_by_label("Merged text")).to_have_value(merged)
    await expect(conflict.get_by_label("Merged text")).to_be_focused()
    await conflict.get_by_role("button", name="Record merged text").click()

    await expect(ivy.locator(".section-text")).to_have_text(merged)
    protocol = (await (await api("omar")).get(f"/api/trials/{draft_trial}/protocol")).json()
    section = next(s for s in protocol["sections"] if s["number"] == "5.2")
    assert section["text"] == merged
