"""A server restarted on a long log answers a record's first read 503 with Retry-After
while it reads the record from the log: the page asks again when told and shows it, with
no problem left on screen."""

from __future__ import annotations

from dataclasses import replace

from playwright.async_api import Browser, expect

from server.bootstrap import open_services
from server.demo import DemoPerson
from server.services import Services, Settings
from tests.e2e.conftest import screenshot
from tests.integration.server.live.conftest import serving


async def test_a_page_asks_again_while_a_restarted_server_reads_the_log(
    browser: Browser,
    services: Services,
    demo: dict[str, DemoPerson],
    draft_trial: str,
    url: str,
    settings: Settings,
) -> None:
    # A second server on the same database: nothing of the trial is read yet, and it
    # cannot wait at all for a first read (the 503 every first read gets here).
    impatient = replace(settings, warm_up_wait=0.0)
    async with open_services(url, settings=impatient) as restarted, serving(restarted) as site:
        context = await browser.new_context(base_url=site.http)
        page = await context.new_page()
        refused: list[str] = []
        page.on("response", lambda r: refused.append(r.url) if r.status == 503 else None)
        await page.goto("/")
        await page.get_by_label("Username").fill("ivy")
        await page.get_by_label("Password").fill(demo["ivy"].password)
        await page.keyboard.press("Enter")
        await page.goto(f"/#/t/{draft_trial}/protocol/5.2")
        await expect(page.get_by_role("heading", name="5.2 Inclusion Criteria")).to_be_visible(
            timeout=30_000
        )
        # The section's shared text was refused as well, and opens once asked again.
        await expect(page.get_by_text("Opening the section")).to_have_count(0, timeout=30_000)
        await expect(page.get_by_role("textbox", name="Text of section 5.2")).to_contain_text(
            "Age 40 to 80 years"
        )
        assert any("/protocol" in url for url in refused)  # it was refused, and asked again
        await expect(page.locator(".problem")).to_have_count(0)
        await screenshot(page, "restarted-server-asked-again")
        await context.close()
