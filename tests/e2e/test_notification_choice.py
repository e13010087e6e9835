"""Email notifications chosen on "Your account": a bad address is refused with the
server's words, the choice is said back, and the mail a real SMTP server receives links to
the vote that waits, which the link opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from server.demo import DemoPerson
from server.services import Settings
from tests.e2e.conftest import Api, SignIn, ok, screenshot
from tests.integration.server.smtp import Mailbox, mail_settings, mailbox, text_of

__all__ = ["mailbox"]  # the fixture

PUBLIC_URL = "http://concord.test/"
"""The address in the mails' links (the test opens their #/... part on the served site)."""


@pytest.fixture
def settings(signing_key: Path, mailbox: tuple[Mailbox, int]) -> Settings:
    return Settings(signing_key=signing_key, mail=mail_settings(mailbox[1], PUBLIC_URL))


async def test_a_person_chooses_immediate_mails_and_the_mail_links_to_the_vote(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson], mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    page = await sign_in("pat")
    await page.get_by_role("link", name="Your account").click()
    section = page.get_by_role("region", name="Email notifications")
    await expect(section).to_contain_text("You get no notification mails.")
    form = section.get_by_role("form", name="Email notifications")
    await form.get_by_label("When to mail me").select_option("immediate")
    await form.get_by_label("Email address").fill("pat@example")
    await form.get_by_role("button", name="Save notification choice").click()
    await expect(form.get_by_role("alert")).to_contain_text("is not an email address")

    await form.get_by_label("Email address").fill("pat@example.org")
    await form.get_by_role("button", name="Save notification choice").click()
    said = "You get a mail at pat@example.org as soon as something waits for you."
    await expect(page.locator(".account-status")).to_contain_text(f"Saved. {said}")
    await expect(page.get_by_role("region", name="Email notifications")).to_contain_text(said)
    await expect(page.get_by_label("When to mail me")).to_have_value("immediate")

    sam = await api("sam")
    tabled = await ok(
        sam.post(
            "/api/trials/asthma-301/motions",
            json={
                "question": "Adopt home spirometry?",
                "options": ["yes", "no"],
                "eligible_voters": [demo["pat"].user_id],
                "quorum_rule": "simple-majority",
                "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
            },
        )
    )
    motion = tabled["events"][0]["data"]["motion_id"]
    [mail] = await box.wait_for(1)
    assert mail["To"] == "pat@example.org"
    assert "Adopt home spirometry?" in mail["Subject"]
    [link] = [line.strip() for line in text_of(mail).splitlines() if f"/{motion}" in line]
    assert link == f"{PUBLIC_URL}#/t/asthma-301/motions/{motion}"

    await page.goto("/" + link.removeprefix(PUBLIC_URL))
    await expect(page.get_by_text("Adopt home spirometry?").first).to_be_visible()
    await screenshot(page, "notification-mail-link-opens-the-vote")
    await page.goto("/#/account")
    await expect(page.get_by_role("region", name="Email notifications")).to_contain_text(said)
    await screenshot(page, "notification-choice")
