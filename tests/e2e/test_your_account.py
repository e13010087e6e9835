"""A person's own account: a password someone else set must be replaced before anything
else, and API tokens are created (the secret shown once) and revoked."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from server.accounts.account_log import operator_actor
from server.demo import DemoPerson
from server.services import Services
from tests.e2e.conftest import SignIn, screenshot

OPERATOR = {"actor": operator_actor("e2e"), "via": "e2e"}
NOOR_OWN = "heron quietly folds seven maps"


async def test_a_reset_user_changes_the_password_before_seeing_anything_then_works(
    sign_in: SignIn, services: Services, site: str
) -> None:
    noor = await services.accounts.create_user(
        "noor", "Noor Karimi", "a passphrase noor never chose", meta=OPERATOR
    )
    one_time = await services.accounts.reset_password(noor.user_id, meta=OPERATOR)

    page = await sign_in("noor", account=(one_time, "Noor Karimi"), width=390)
    choose = page.get_by_role("form", name="Choose your own password")
    await expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    await expect(page.get_by_text("Your password was set by someone else")).to_be_visible()
    await expect(page.get_by_role("heading", name="Your trials")).to_have_count(0)
    await expect(page.get_by_role("link", name="Your account")).to_have_count(0)
    await expect(choose.get_by_label("Current password")).to_be_focused()
    # Another address shows the same form, not the page asked for.
    await page.goto("/#/account")
    await expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    await expect(page.get_by_role("heading", name="Your account")).to_have_count(0)

    # The two new passwords must agree; then the policy's own words refuse a weak one.
    await choose.get_by_label("Current password").fill(one_time)
    await choose.get_by_label("New password", exact=True).fill(NOOR_OWN)
    await choose.get_by_label("Repeat the new password").fill(NOOR_OWN + "!")
    await choose.get_by_role("button", name="Set my password").click()
    await expect(choose.get_by_role("alert")).to_contain_text("The new passwords differ")
    for field in ("New password", "Repeat the new password"):
        await choose.get_by_label(field, exact=True).fill("password1234")
    await choose.get_by_role("button", name="Set my password").click()
    refusal = choose.get_by_role("alert")
    await expect(refusal).to_contain_text("Password refused")
    await expect(refusal).to_contain_text("the password is too easy to guess")
    await screenshot(page, "account-choose-password-refused")

    for field in ("New password", "Repeat the new password"):
        await choose.get_by_label(field, exact=True).fill(NOOR_OWN)
    await choose.get_by_role("button", name="Set my password").click()
    # She continues to the page she had asked for, and then anywhere.
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    await page.get_by_role("link", name="Concord").click()
    await expect(page.get_by_role("heading", name="Your trials")).to_be_visible()
    await expect(page.get_by_text("Noor Karimi is not a member of any trial yet.")).to_be_visible()
    await expect(page.get_by_role("link", name="Your account")).to_be_visible()
    # No "New trial" for someone who is not a trial creator.
    await expect(page.get_by_text("New trial")).to_have_count(0)

    # The page acts on the new session (its new CSRF token): a token is created.
    await page.get_by_role("link", name="Your account").click()
    create = page.get_by_role("form", name="Create a token")
    await create.get_by_label("Token name").fill("phone")
    await create.get_by_role("button", name="Create token").click()
    await expect(page.locator("table.tokens")).to_contain_text("phone")
    await screenshot(page, "account-after-choosing")

    # The one-time password no longer signs in; her own does.
    async with httpx.AsyncClient(base_url=site) as client:
        old = await client.post("/api/session", json={"username": "noor", "password": one_time})
        assert old.status_code == 401
        own = await client.post("/api/session", json={"username": "noor", "password": NOOR_OWN})
        assert own.status_code == 200
        assert own.json()["user"]["must_change_password"] is False


async def test_the_account_page_creates_a_token_shown_once_and_revokes_it(
    sign_in: SignIn, site: str, demo: dict[str, DemoPerson]
) -> None:
    ivy = await sign_in("ivy")
    await ivy.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await ivy.get_by_role("link", name="Your account").click()
    await expect(ivy.get_by_role("heading", name="Your account")).to_be_visible()
    await expect(ivy.get_by_text("You have no API tokens.")).to_be_visible()

    create = ivy.get_by_role("form", name="Create a token")
    await expect(create.get_by_label("Lifetime in days")).to_have_value("90")
    await create.get_by_label("Token name").fill("nightly export")
    await create.get_by_label("Lifetime in days").fill("30")
    await create.get_by_role("button", name="Create token").click()

    shown = ivy.get_by_role("region", name="The secret of the token nightly export")
    await expect(shown).to_contain_text("shown only this once")
    secret_field = shown.get_by_label("The secret of the token nightly export")
    await expect(secret_field).to_be_focused()
    secret = await secret_field.input_value()
    assert len(secret) > 20
    await shown.get_by_role("button", name="Copy").click()
    await expect(shown.get_by_role("status")).to_have_text("Copied.")
    assert await ivy.evaluate("navigator.clipboard.readText()") == secret

    row = ivy.locator("table.tokens tbody tr", has_text="nightly export")
    await expect(row).to_contain_text("active")
    await expect(row.locator('td[data-label="Created"]')).to_contain_text("UTC")
    await expect(row.locator('td[data-label="Expires"]')).to_contain_text("UTC")
    await expect(row.locator('td[data-label="Last used"]')).to_have_text("never")
    await screenshot(ivy, "account-token-created")

    async with httpx.AsyncClient(
        base_url=site, headers={"Authorization": f"Bearer {secret}"}
    ) as script:
        used = await script.get("/api/session")
        assert used.status_code == 200
        assert used.json()["user"]["username"] == "ivy"

        await shown.get_by_role("button", name="I have copied it").click()
        await expect(ivy.locator(".token-secret")).to_have_count(0)
        await ivy.reload()
        row = ivy.locator("table.tokens tbody tr", has_text="nightly export")
        await expect(row.locator('td[data-label="Last used"]')).to_contain_text("UTC")
        # The secret is not shown again.
        await expect(ivy.get_by_text(secret)).to_have_count(0)

        # Revoking asks first; keeping it returns to the button.
        await row.get_by_role("button", name="Revoke the token nightly export").click()
        question = ivy.get_by_role("form", name="Revoke the token nightly export")
        await expect(question).to_contain_text("Scripts using it are refused from now on")
        await question.get_by_role("button", name="Keep it").click()
        revoke = row.get_by_role("button", name="Revoke the token nightly export")
        await expect(revoke).to_be_focused()
        await revoke.press("Enter")
        await question.get_by_role("button", name="Revoke token").click()
        await expect(ivy.locator(".account-status")).to_have_text(
            "The token “nightly export” is revoked."
        )
        await expect(row).to_contain_text("revoked")
        await expect(row.locator('td[data-label="Revoked"]')).to_contain_text("UTC")
        await expect(row.get_by_role("button")).to_have_count(0)
        refused = await script.get("/api/session")
        assert refused.status_code == 401
    await screenshot(ivy, "account-token-revoked")


async def test_a_person_changes_their_password_on_their_account_page(
    sign_in: SignIn, site: str, demo: dict[str, DemoPerson]
) -> None:
    omar = await sign_in("omar", width=390)
    other = await sign_in("omar")  # a second session of his, on a laptop
    await omar.get_by_role("link", name="Your account").click()
    change = omar.get_by_role("form", name="Change your password")
    await change.get_by_label("Current password").fill("not my password")
    await change.get_by_label("New password", exact=True).fill(NOOR_OWN)
    await change.get_by_label("Repeat the new password").fill(NOOR_OWN)
    await change.get_by_role("button", name="Change password").click()
    await expect(change.get_by_role("alert")).to_contain_text("the current password is wrong")

    await change.get_by_label("Current password").fill(demo["omar"].password)
    await change.get_by_role("button", name="Change password").click()
    status = omar.locator(".account-status")
    await expect(status).to_have_text("Your password is changed. Your other sessions have ended.")
    await expect(status).to_be_focused()
    await expect(change.get_by_label("Current password")).to_have_value("")
    # This page goes on acting (the answer's new session); his other session has ended.
    create = omar.get_by_role("form", name="Create a token")
    await create.get_by_label("Token name").fill("after the change")
    await create.get_by_role("button", name="Create token").click()
    await expect(omar.locator("table.tokens")).to_contain_text("after the change")
    await other.get_by_role("link", name="Your account").click()
    await expect(other.get_by_role("heading", name="Sign in to Concord")).to_be_visible()
    await expect(other.get_by_text("Your session has ended.")).to_be_visible()
    await screenshot(omar, "account-password-changed-phone")
    width = await omar.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
