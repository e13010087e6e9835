"""The accessibility pass: axe-core in each main page, as the people who use it, fails on
any serious or critical violation (listed readably: page, rule, element, what is wrong)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.axe import serious_violations
from tests.e2e.conftest import SignIn, screenshot

TRIAL = "asthma-301"

# (who, address, what shows once the page has loaded)
PAGES = [
    ("ivy", "/#/", "Your trials"),
    ("ivy", f"/#/t/{TRIAL}", "ASTHMA-301"),
    ("ivy", f"/#/t/{TRIAL}/protocol", "Protocol"),
    ("ivy", f"/#/t/{TRIAL}/protocol/5.2", "5.2"),
    ("sam", f"/#/t/{TRIAL}/amendments/A-1", "Amendment A-1"),
    ("sam", f"/#/t/{TRIAL}/motions", "Motions"),
    ("pat", f"/#/t/{TRIAL}/disputes", "Disputes"),
    ("aud", f"/#/t/{TRIAL}/audit", "Audit"),
    ("alex", f"/#/t/{TRIAL}/admin", "Administration"),
    ("omar", "/#/account", "Your account"),
]


async def test_the_main_pages_have_no_serious_accessibility_violations(sign_in: SignIn) -> None:
    people: dict[str, Page] = {}
    found: list[str] = []
    for who, address, shown in PAGES:
        page = people.get(who) or await sign_in(who)
        people[who] = page
        await page.goto(address)
        heading = page.locator("main").get_by_role("heading").filter(has_text=shown)
        await expect(heading.first).to_be_attached()
        found += await serious_violations(page, f"{who} {address}")
    await screenshot(people["alex"], "accessibility-administration")
    assert found == [], "\n".join(found)
