"""The accessibility pass: axe-core in each main page, as the people who use it, fails on
any serious or critical violation (listed readably: page, rule, element, what is wrong)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from server.demo import DRAFT_TRIAL
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import SignIn, screenshot

TRIAL = "asthma-301"

# (who, address, what shows once the page has loaded)
PAGES = [
    ("ivy", "/#/", "Your trials"),
    ("ivy", f"/#/t/{TRIAL}", "ASTHMA-301"),
    ("ivy", f"/#/t/{TRIAL}/protocol", "Protocol"),
    ("ivy", f"/#/t/{TRIAL}/protocol/5.2", "5.2"),
    ("ivy", f"/#/t/{DRAFT_TRIAL}/protocol/5.2", "5.2"),  # a draft's live editor
    ("omar", f"/#/t/{TRIAL}/document", "ASTHMA-301"),
    ("pat", f"/#/t/{TRIAL}/amendments", "Amendments"),
    ("sam", f"/#/t/{TRIAL}/amendments/A-1", "Amendment A-1"),
    ("sam", f"/#/t/{TRIAL}/motions", "Motions"),
    ("pat", f"/#/t/{TRIAL}/disputes", "Disputes"),
    ("aud", f"/#/t/{TRIAL}/audit", "Audit"),
    ("alex", f"/#/t/{TRIAL}/admin", "Administration"),
    ("omar", "/#/account", "Your account"),
]


async def test_the_main_pages_have_no_serious_accessibility_violations(
    sign_in: SignIn, draft_trial: str
) -> None:
    people: dict[str, Page] = {}
    found: list[str] = []
    for who, address, shown in PAGES:
        page = people.get(who) or await sign_in(who)
        people[who] = page
        await page.goto(address)
        heading = page.locator("main").get_by_role("heading").filter(has_text=shown)
        await expect(heading.first).to_be_attached()
        if DRAFT_TRIAL in address:  # the shared text's editor, once it has opened
            await expect(page.locator(".rich-text-page[contenteditable='true']")).to_be_visible()
        found += await serious_violations(page, f"{who} {address}")
    await screenshot(people["alex"], "accessibility-administration")
    assert found == [], "\n".join(found)
