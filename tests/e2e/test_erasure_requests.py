"""Erasing a person's personal data in the web: Alex (a system admin) is told a request
waits for the account to be disabled, disables it, requests the erasure and follows it on
the account's page; Samira, a trial admin of the person's trial, reaches the request from
her inbox on a phone; a request withdrawn meanwhile makes her approval a refusal shown
beside the button; requested again, she approves, and the trial's audit page names the
person "[erased]"."""

from __future__ import annotations

import re

from playwright.async_api import expect

from server.demo import DemoPerson
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"


async def test_a_requested_erasure_is_approved_from_the_inbox_and_reads_erased(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    omar = demo["omar"].user_id
    sam_id = demo["sam"].user_id
    # Alex requests, so the trial's other admin approves: Samira is made one.
    alex_api = await api("alex")
    grant = {"role": "trial_admin", "reason": "Deputy administrator"}
    await ok(alex_api.post(f"/api/trials/{TRIAL}/members/{sam_id}/roles", json=grant))

    alex = await sign_in("alex")
    await alex.goto(f"/#/accounts/{omar}")
    personal = alex.get_by_role("region", name="Personal data")
    await expect(personal).to_contain_text("only for a disabled account")
    await expect(personal.get_by_role("button")).to_have_count(0)

    disable = alex.get_by_role("form", name="Disable Dr Omar Haddad's account")
    await disable.get_by_label("Reason for disabling").fill("Left the Riverside site")
    await disable.get_by_role("button", name="Disable account…").click()
    await alex.get_by_role("button", name="Disable account", exact=True).click()
    await expect(alex.locator(".accounts-status")).to_have_text(
        "Dr Omar Haddad's account is disabled."
    )

    request = personal.get_by_role("form", name="Request erasure of Dr Omar Haddad's personal data")
    await request.get_by_label("Reason for erasure").fill("Ticket 4412: his request")
    await request.get_by_role("button", name="Request erasure of personal data…").click()
    await expect(request).to_contain_text("cannot be undone")
    await request.get_by_role("button", name="Request erasure", exact=True).click()
    await expect(alex.locator(".accounts-status")).to_contain_text("is requested")
    approvals = personal.get_by_role("list", name="Approvals")
    await expect(approvals).to_contain_text(
        re.compile(r"awaiting approval by a trial admin \(.*Samira Reyes")
    )
    await expect(personal).to_contain_text("Requested by Alex Morgan on")
    await expect(personal.locator("time")).to_have_text(
        re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
    )
    await expect(alex.locator(".account-trail")).to_contain_text(
        "Erasure of personal data requested by Alex Morgan. Reason: Ticket 4412: his request"
    )
    await screenshot(alex, "erasure-requested")

    # Samira's inbox links to the erasures awaiting her.
    sam = await sign_in("sam", width=390)  # on a phone
    await sam.get_by_role("link", name=re.compile("^Inbox")).click()
    await sam.get_by_role(
        "link", name=re.compile("^Approve erasing the personal data of Dr Omar Haddad")
    ).click()
    await expect(sam.get_by_role("heading", name="Erasures awaiting your approval")).to_be_visible()
    card = sam.get_by_role("article", name="Personal data of Dr Omar Haddad")
    await expect(card).to_contain_text("Ticket 4412")

    # While she reads the question, Alex withdraws it (asked first): her approval is
    # refused beside the button.
    await card.get_by_role("button", name=re.compile("^Approve for ")).click()
    asked = card.get_by_role(
        "form", name=re.compile("^Approve erasing Dr Omar Haddad's personal data for ")
    )
    await expect(asked).to_contain_text("cannot be undone")
    withdraw = personal.get_by_role(
        "form", name="Withdraw the erasure of Dr Omar Haddad's personal data"
    )
    await withdraw.get_by_label("Reason for withdrawing").fill("Filed against the wrong account")
    await withdraw.get_by_role("button", name="Withdraw the request…").click()
    await withdraw.get_by_role("button", name="Withdraw the request", exact=True).click()
    await expect(alex.locator(".accounts-status")).to_contain_text(
        "is withdrawn; nothing was erased"
    )
    await asked.get_by_role("button", name="Approve erasure").click()
    await expect(asked.locator(".form-problem")).to_contain_text(
        "No erasure of this person's personal data awaits approval"
    )
    widths = await sam.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    await screenshot(sam, "erasure-refused")

    # Requested again; Samira approves, and the last approval erases.
    request = personal.get_by_role("form", name="Request erasure of Dr Omar Haddad's personal data")
    await request.get_by_label("Reason for erasure").fill("Ticket 4412: his request")
    await request.get_by_role("button", name="Request erasure of personal data…").click()
    await request.get_by_role("button", name="Request erasure", exact=True).click()
    await expect(alex.locator(".accounts-status")).to_contain_text("is requested")

    await sam.reload()
    card = sam.get_by_role("article", name="Personal data of Dr Omar Haddad")
    await card.get_by_role("button", name=re.compile("^Approve for ")).click()
    await card.get_by_role("button", name="Approve erasure").click()
    await expect(sam.locator(".accounts-status")).to_have_text(
        "Dr Omar Haddad's personal data is erased: it now reads “[erased]” everywhere."
    )
    await expect(
        sam.get_by_text("No erasure of personal data awaits your approval.")
    ).to_be_visible()
    await expect(
        sam.get_by_role("link", name=re.compile(r"^Inbox\s*,\s*2 waiting$"))
    ).to_be_visible()
    await screenshot(sam, "erasure-approved")

    await sam.goto(f"/#/t/{TRIAL}/audit")
    roles = sam.get_by_role("region", name="Members and roles as they were")
    await expect(roles).to_contain_text("[erased]")
    await expect(roles).not_to_contain_text("Omar Haddad")
    await screenshot(sam, "erasure-audit")

    await alex.reload()
    await expect(alex.get_by_role("region", name="Personal data")).to_contain_text("is erased")
    await screenshot(alex, "erasure-account-page")
