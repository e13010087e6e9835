"""A phone held upright (390 px) and the keyboard: the header fits, nothing scrolls
sideways on any main page, and the skip link takes the keyboard to the page's content."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.e2e.axe import serious_violations
from tests.e2e.conftest import SignIn, screenshot

TRIAL = "asthma-301"

# (who, address, a heading the loaded page shows)
PAGES = [
    ("alex", "/#/", "Your trials"),
    ("alex", f"/#/t/{TRIAL}", "ASTHMA-301"),
    ("alex", f"/#/t/{TRIAL}/protocol", "Protocol"),
    ("alex", f"/#/t/{TRIAL}/protocol/5.2", "5.2"),
    ("alex", f"/#/t/{TRIAL}/document", "ASTHMA-301"),
    ("alex", f"/#/t/{TRIAL}/amendments", "Amendments"),
    ("alex", f"/#/t/{TRIAL}/amendments/A-1", "Amendment A-1"),
    ("alex", f"/#/t/{TRIAL}/motions", "Motions"),
    ("alex", f"/#/t/{TRIAL}/disputes", "Disputes"),
    ("alex", f"/#/t/{TRIAL}/admin", "Administration"),
    ("alex", "/#/account", "Your account"),
    ("alex", "/#/accounts", "Accounts"),
    ("aud", f"/#/t/{TRIAL}/audit", "Audit"),
]

SIDEWAYS = """() => {
  const page = document.scrollingElement;
  if (page.scrollWidth <= page.clientWidth) return [];
  // What sticks out past the right edge: the outermost such elements, named.
  const edge = page.clientWidth;
  const out = [...document.querySelectorAll("body *")].filter(
    (e) => e.getBoundingClientRect().right > edge + 0.5
  );
  const named = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (e.className ? "." + String(e.className).replace(/ /g, ".") : "");
  const right = (e) => Math.round(e.getBoundingClientRect().right);
  return out.slice(0, 5).map((e) => `${named(e)} right=${right(e)}`);
}"""


async def loaded(page: Page, address: str, heading: str) -> None:
    await page.goto(address)
    shown = page.locator("main").get_by_role("heading").filter(has_text=heading)
    await expect(shown.first).to_be_attached()


async def test_at_390_px_the_header_fits_and_nothing_scrolls_sideways(sign_in: SignIn) -> None:
    people: dict[str, Page] = {}
    sideways: list[str] = []
    for who, address, heading in PAGES:
        page = people.get(who) or await sign_in(who, width=390)
        people[who] = page
        await loaded(page, address, heading)
        wide = await page.evaluate(SIDEWAYS)
        if wide:
            sideways.append(f"{address} ({who}): {', '.join(wide)}")
        # Sign out wholly on screen, not past the right edge.
        box = await page.get_by_role("button", name="Sign out").bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > 390:
            sideways.append(f"{address} ({who}): Sign out is at {box}")
        # A table that scrolls in its own box must be reachable by keyboard, and so on.
        sideways += await serious_violations(page, f"{address} ({who}) at 390 px")
    assert sideways == [], "\n".join(sideways)

    # Every entry of the trial's navigation is on screen and reachable, and Sign out works.
    alex = people["alex"]
    await loaded(alex, f"/#/t/{TRIAL}", "ASTHMA-301")
    nav = alex.get_by_role("navigation", name="Trial")
    for entry in ("Overview", "Protocol", "Amendments", "Disputes", "Administration"):
        await expect(nav.get_by_role("link", name=entry)).to_be_in_viewport(ratio=1)
    await screenshot(alex, "narrow-overview")
    await alex.get_by_role("button", name="Sign out").click()
    await expect(alex.get_by_role("heading", name="Sign in to Concord")).to_be_visible()


async def test_the_skip_link_takes_the_keyboard_past_the_outline_to_the_section(
    sign_in: SignIn,
) -> None:
    ivy = await sign_in("ivy")
    await loaded(ivy, f"/#/t/{TRIAL}/protocol/5.2", "5.2")
    skip = ivy.get_by_role("link", name="Skip to content")
    await skip.focus()
    await expect(skip).to_be_in_viewport()  # shown once it has the focus
    await ivy.keyboard.press("Enter")
    section = ivy.get_by_role("article", name="5.2")
    await expect(section).to_be_focused()
    await expect(ivy).to_have_url(re.compile(r"#/t/asthma-301/protocol/5\.2$"))  # no new route
    # The next Tab is inside the section (its text), not the outline's first entry.
    await ivy.keyboard.press("Tab")
    await expect(section.get_by_label("Section text")).to_be_focused()

    # Elsewhere the skip link lands on the page's heading, the first action a Tab away.
    await loaded(ivy, f"/#/t/{TRIAL}/amendments", "Amendments")
    await skip.focus()
    await ivy.keyboard.press("Enter")
    await expect(ivy.get_by_role("heading", name="Amendments", level=1)).to_be_focused()
    await ivy.keyboard.press("Tab")
    await expect(ivy.get_by_role("link", name="Open an amendment")).to_be_focused()
    await screenshot(ivy, "skip-link-amendments")
