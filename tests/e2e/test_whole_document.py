"""The protocol read as one document: every section in order under headings of its M11
level, recorded markup shown as rich text (and typed HTML as text), empty sections
marked, a search that finds and steps through matches, and colleagues' revisions arriving
live with an announcement."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from domain import m11
from tests.e2e.conftest import ARTIFACTS, Api, SignIn, ok, screenshot

MARKUP = (
    "### Spirometry\n\n"
    "**Current smokers** with a *recent* exacerbation\n"
    "<script>window.injected = true</script><img src=x onerror=alert(1)>\n\n"
    "- Asthma\n- Bronchiectasis"
)


async def revise(api: Api, username: str, trial: str, number: str, text: str) -> None:
    client = await api(username)
    protocol = await ok(client.get(f"/api/trials/{trial}/protocol"))
    revision = next(s["revision"] for s in protocol["sections"] if s["number"] == number)
    path = f"/api/trials/{trial}/protocol/sections/{number}"
    await ok(client.put(path, json={"base_revision": revision, "text": text, "reason": "r"}))


def headings_of(protocol: dict[str, Any]) -> list[list[str]]:
    """Each section's heading as the document should show it: element and words."""
    return [
        [
            f"H{min(m11.level(s['number']) + 1, 6)}",
            s["heading"] if s["number"] == m11.LAY_SUMMARY else f"{s['number']} {s['heading']}",
        ]
        for s in protocol["sections"]
    ]


async def screen(page: Page, name: str) -> None:
    """The final screen as the person sees it: a whole page of a hundred sections in one
    image would put the search and contents (sticky) wherever the page was scrolled."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


async def no_sideways_scrolling(page: Page) -> bool:
    fits: bool = await page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    return fits


async def test_the_draft_reads_as_one_document_with_rich_text_and_a_search(
    sign_in: SignIn, draft_trial: str, api: Api
) -> None:
    await revise(api, "ivy", draft_trial, "5.3", MARKUP)
    protocol = await ok((await api("ivy")).get(f"/api/trials/{draft_trial}/protocol"))
    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{draft_trial}/protocol/5.2")
    outline = ivy.get_by_role("navigation", name="Protocol outline")
    # The outline marks the empty sections, quietly, and not the ones with text.
    await expect(
        outline.locator("li", has=ivy.get_by_role("link", name="5.4 Contraception"))
    ).to_contain_text("(empty)")
    await expect(
        outline.locator("li", has=ivy.get_by_role("link", name="5.3 Exclusion"))
    ).not_to_contain_text("(empty)")
    await outline.get_by_role("link", name="Read as one document").click()

    await expect(ivy.get_by_role("heading", level=1)).to_have_text("NW-301 in COPD")
    await expect(ivy.locator("h1")).to_have_count(1)
    sections = ivy.locator(".doc-section")
    await expect(sections).to_have_count(len(protocol["sections"]))
    shown = await sections.evaluate_all(
        "(all) => all.map((s) => s.firstElementChild)"
        ".map((heading) => [heading.tagName, heading.textContent.trim()])"
    )
    assert shown == headings_of(protocol)

    contraception = ivy.locator('.doc-section[data-number="5.4"]')
    await expect(contraception).to_contain_text("This section is empty.")
    exclusion = ivy.locator('.doc-section[data-number="5.3"]')
    await expect(exclusion.get_by_role("heading", level=4)).to_have_text("Spirometry")
    await expect(exclusion.locator("strong")).to_have_text("Current smokers")
    await expect(exclusion.locator("em")).to_have_text("recent")
    await expect(exclusion.get_by_role("listitem")).to_have_text(["Asthma", "Bronchiectasis"])
    await expect(exclusion).to_contain_text(
        "<script>window.injected = true</script><img src=x onerror=alert(1)>"
    )
    await expect(exclusion.locator("script, img")).to_have_count(0)
    assert await ivy.evaluate("window.injected") is None
    await expect(ivy.locator('.doc-section[data-number="5.2"] .doc-text')).to_have_text(
        "Age 40 to 80 years Smoking history of 10 pack-years or more"
    )

    # Search by keyboard: both places where "smok" stands, stepping with Enter.
    search = ivy.get_by_role("searchbox", name="Search the document")
    await search.focus()
    await ivy.keyboard.type("SMOK")
    status = ivy.get_by_role("search").get_by_role("status")
    await expect(status).to_contain_text("2 matches for “SMOK” in 2 sections")
    await expect(ivy.locator("mark.search-match")).to_have_text(["Smok", "smok"])
    contents = ivy.get_by_role("navigation", name="Contents")
    await expect(contents.locator("li:visible")).to_have_count(2)
    await expect(contents.locator("li:visible")).to_contain_text(
        ["5.2 Inclusion Criteria", "5.3 Exclusion Criteria"]
    )
    await ivy.keyboard.press("Enter")
    await expect(status).to_have_text("Match 1 of 2, in 5.2 Inclusion Criteria.")
    await ivy.keyboard.press("Enter")
    await expect(status).to_have_text("Match 2 of 2, in 5.3 Exclusion Criteria.")
    current = ivy.locator("mark.search-match.current")
    await expect(current).to_have_text("smok")
    await expect(current).to_be_in_viewport()
    await screen(ivy, "whole-document-search")
    await ivy.keyboard.press("Shift+Enter")
    await expect(status).to_have_text("Match 1 of 2, in 5.2 Inclusion Criteria.")
    await ivy.get_by_role("button", name="Next match").click()
    await expect(status).to_have_text("Match 2 of 2, in 5.3 Exclusion Criteria.")
    await search.fill("no such words anywhere")
    await expect(status).to_have_text("No match for “no such words anywhere”.")
    await expect(ivy.get_by_role("button", name="Next match")).to_be_disabled()
    await search.fill("")
    await expect(contents.locator("li:visible")).to_have_count(len(protocol["sections"]))

    # From the contents to a section far down: shown, focused, and named in the address.
    await contents.get_by_role("link", name="11.3 Informed Consent Process").click()
    heading = ivy.get_by_role("heading", name="11.3 Informed Consent Process")
    await expect(heading).to_be_focused()
    await expect(heading).to_be_in_viewport()
    assert ivy.url.endswith(f"#/t/{draft_trial}/document/11.3")
    await screen(ivy, "whole-document")

    # A heading leads to the section's own page, where the recorded text is rich too.
    await exclusion.get_by_role("link", name="5.3 Exclusion Criteria").click()
    await expect(ivy.locator("#section-heading")).to_have_text("5.3 Exclusion Criteria")
    await expect(ivy.locator(".section-text strong")).to_have_text("Current smokers")
    await expect(ivy.locator(".section-text script")).to_have_count(0)


async def test_a_colleagues_revision_arrives_live_and_is_announced(
    sign_in: SignIn, draft_trial: str, api: Api
) -> None:
    omar = await sign_in("omar", width=390)
    await omar.goto(f"/#/t/{draft_trial}/document/5.2")
    await expect(omar.get_by_role("heading", name="5.2 Inclusion Criteria")).to_be_focused()
    alex = await sign_in("alex")
    await alex.goto(f"/#/t/{draft_trial}/protocol/5.2")
    await expect(alex.locator("#section-heading")).to_have_text("5.2 Inclusion Criteria")

    await revise(api, "ivy", draft_trial, "5.2", "Age **45** to 80 years\n\n- FEV1 below 70%")

    inclusion = omar.locator('.doc-section[data-number="5.2"]')
    await expect(inclusion.locator("strong")).to_have_text("45")
    await expect(inclusion).to_have_class("doc-section arrived")
    news = "Dr Ivy Chen recorded revision 2 of section 5.2."
    await expect(omar.get_by_role("status").filter(has_text=news)).to_be_visible()
    # The reader of the section's page sees it arrive too, said in its status line.
    await expect(alex.locator(".text-box")).to_have_class("text-box arrived")
    await expect(alex.get_by_role("status").filter(has_text=news)).to_be_visible()
    await expect(alex.locator(".section-text strong")).to_have_text("45")
    await expect(alex.locator(".meta")).to_contain_text("Revision 2, last written by Dr Ivy Chen")

    # On a phone: nothing scrolls sideways, the search is there, the contents fold away.
    assert await no_sideways_scrolling(omar)
    await expect(omar.get_by_role("searchbox", name="Search the document")).to_be_visible()
    await expect(omar.get_by_role("navigation", name="Contents").locator("ol")).to_be_hidden()
    await screen(omar, "whole-document-phone")
    await screenshot(alex, "whole-document-revision-arrived")
