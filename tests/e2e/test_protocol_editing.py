"""Researchers edit a draft protocol together: live updates, presence, edit conflicts."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.conftest import Api, SignIn, screenshot

SECTION_TEXT = "Age 40 to 80 years\nSmoking history of 10 pack-years or more"


async def open_section(page: Page, trial: str, number: str) -> None:
    await page.goto(f"/#/t/{trial}/protocol/{number}")
    await expect(page.locator("#section-heading")).to_contain_text(number)


async def save_section(page: Page, number: str, text: str) -> None:
    await page.get_by_label(f"Text of section {number}").fill(text)
    await page.get_by_role("button", name="Save").click()


async def test_two_researchers_see_each_others_edits_and_presence_live(
    sign_in: SignIn, draft_trial: str
) -> None:
    ivy = await sign_in("ivy")
    omar = await sign_in("omar")
    await ivy.goto(f"/#/t/{draft_trial}")
    await ivy.get_by_role("link", name="Protocol", exact=True).first.click()
    await ivy.get_by_role("link", name="5.2 Inclusion Criteria").click()
    await expect(ivy.locator("#section-heading")).to_have_text("5.2 Inclusion Criteria")
    await open_section(omar, draft_trial, "5.2")

    await expect(ivy.locator(".presence")).to_contain_text("Dr Omar Haddad (viewing)")
    await expect(omar.locator(".presence")).to_contain_text("Dr Ivy Chen (viewing)")
    await expect(omar.locator(".outline")).to_contain_text("Dr Ivy Chen")

    await ivy.get_by_role("button", name="Edit section").click()
    await expect(omar.locator(".presence")).to_contain_text("Dr Ivy Chen (editing)")
    await save_section(ivy, "5.2", "Age 40 to 85 years\nSmoking history of 10 pack-years or more")
    await expect(ivy.get_by_role("status").filter(has_text="Saved as revision 2")).to_be_visible()
    await expect(omar.locator(".section-text")).to_contain_text("Age 40 to 85 years")
    await expect(omar.locator(".meta")).to_contain_text("Revision 2, last written by Dr Ivy Chen")

    await omar.get_by_role("button", name="Edit section").click()
    await save_section(omar, "5.2", "Age 40 to 85 years\nSmoking history of 20 pack-years or more")
    await expect(ivy.locator(".section-text")).to_contain_text("20 pack-years")
    await expect(ivy.locator(".presence")).to_contain_text("Dr Omar Haddad (viewing)")
    await screenshot(ivy, "researchers-live-editing-ivy")
    await screenshot(omar, "researchers-live-editing-omar")


async def test_conflicting_edits_are_settled_in_the_conflict_view(
    sign_in: SignIn, draft_trial: str, api: Api
) -> None:
    ivy = await sign_in("ivy")
    omar = await sign_in("omar")
    for page in (ivy, omar):
        await open_section(page, draft_trial, "5.2")
        await page.get_by_role("button", name="Edit section").click()

    await save_section(ivy, "5.2", SECTION_TEXT.replace("40 to 80", "45 to 80"))
    await expect(
        omar.get_by_text("Dr Ivy Chen saved revision 2 while you were editing")
    ).to_be_visible()
    await expect(omar.locator(".section-text")).to_contain_text("45 to 80")
    await save_section(omar, "5.2", SECTION_TEXT.replace("40 to 80", "40 to 75"))

    conflict = ivy.get_by_role("region", name="Edit conflict 1 in section 5.2")
    await expect(conflict).to_be_visible()
    await expect(omar.get_by_role("region", name="Edit conflict 1 in section 5.2")).to_be_visible()
    await expect(conflict.locator("mark.removed")).to_have_text(["45", "80"])
    await expect(conflict.locator("mark.added")).to_have_text(["40", "75"])
    await expect(ivy.locator(".outline .badge.conflict")).to_have_count(1)

    merged = SECTION_TEXT.replace("40 to 80", "45 to 75")
    await conflict.get_by_label("Merged text").fill(merged)
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
    await screenshot(omar, "researchers-conflict-resolved")


async def test_a_section_with_markup_shows_as_text(sign_in: SignIn, draft_trial: str) -> None:
    ivy = await sign_in("ivy")
    await open_section(ivy, draft_trial, "5.3")
    await ivy.get_by_role("button", name="Edit section").click()
    typed = "<script>window.injected = true</script><b>not bold</b>"
    await save_section(ivy, "5.3", typed)
    await expect(ivy.locator(".section-text")).to_have_text(typed)
    assert await ivy.locator(".section-text b").count() == 0
    assert await ivy.evaluate("window.injected") is None


async def test_merged_text_being_typed_survives_a_live_update(
    sign_in: SignIn, draft_trial: str, api: Api
) -> None:
    ivy = await sign_in("ivy")
    omar = await sign_in("omar")
    for page in (ivy, omar):
        await open_section(page, draft_trial, "5.2")
        await page.get_by_role("button", name="Edit section").click()
    await save_section(ivy, "5.2", SECTION_TEXT.replace("40 to 80", "45 to 80"))
    await expect(omar.locator(".section-text")).to_contain_text("45 to 80")
    await save_section(omar, "5.2", SECTION_TEXT.replace("40 to 80", "40 to 75"))
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
