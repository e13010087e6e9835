"""Accounts administered in the browser: a system administrator creates an account and
resets its password (each one-time password shown once), grants a system role, attests
and withdraws training, disables and enables an account (whose open page is signed out at
once); the account's trail is read by administrators and account auditors."""

from __future__ import annotations

import httpx
from playwright.async_api import Locator, Page, expect

from domain.account_events import SystemRole
from server.accounts.account_log import operator_actor
from server.accounts.system_roles import SystemRoles
from server.demo import DemoPerson
from server.services import Services
from tests.e2e.conftest import Api, SignIn, ok, screenshot

GCP = "ICH E6(R3) Good Clinical Practice"
NOOR_OWN = "heron quietly folds seven maps"
OPERATOR = {"actor": operator_actor("e2e"), "via": "e2e"}


async def open_accounts(page: Page) -> None:
    await page.get_by_role("link", name="Accounts").click()
    await expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()


def account_row(page: Page, name: str) -> Locator:
    return page.locator("table.accounts tbody tr").filter(
        has=page.get_by_role("rowheader", name=name)
    )


async def open_account(page: Page, name: str) -> None:
    await open_accounts(page)
    await account_row(page, name).get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


async def shown_once(page: Page, label: str) -> str:
    """The secret in the panel labelled ``label``, after checking it says it is shown once;
    the panel is then dismissed."""
    panel = page.get_by_role("region", name=label)
    await expect(panel).to_contain_text("shown only this once")
    secret = await panel.get_by_label(label).input_value()
    await panel.get_by_role("button", name="I have passed it on").click()
    await expect(panel).to_have_count(0)
    return secret


async def test_an_admin_creates_an_account_grants_trains_and_resets_it(
    sign_in: SignIn,
) -> None:
    ivy = await sign_in("ivy")
    await expect(ivy.get_by_role("link", name="Your account")).to_be_visible()
    await expect(ivy.get_by_role("link", name="Accounts")).to_have_count(0)
    await expect(ivy.get_by_text("New trial")).to_have_count(0)
    await ivy.goto("/#/accounts")
    await expect(ivy.get_by_text("Only system administrators manage accounts")).to_be_visible()
    await expect(ivy.get_by_role("form")).to_have_count(0)

    alex = await sign_in("alex")
    await open_accounts(alex)
    await expect(account_row(alex, "Alex Morgan").locator("td.roles")).to_contain_text(
        "system admin"
    )
    create = alex.get_by_role("form", name="Create an account")
    await create.get_by_label("Username").fill("noor")
    await create.get_by_label("Printed name").fill("Noor Karimi")
    await create.get_by_role("button", name="Create account").click()
    first = await shown_once(alex, "One-time password of Noor Karimi")
    noor_row = account_row(alex, "Noor Karimi")
    await expect(noor_row.locator('td[data-label="Must change password"]')).to_have_text("yes")
    await expect(noor_row.locator('td[data-label="State"]')).to_have_text("active")
    await screenshot(alex, "accounts-list")

    await open_account(alex, "Noor Karimi")
    grant = alex.get_by_role("form", name="Grant a system role")
    await grant.get_by_label("Role").select_option("trial_creator")
    await grant.get_by_label("Reason for granting").fill("Leads the COPD programme")
    await grant.get_by_role("button", name="Grant role").click()
    await expect(alex.locator(".accounts-status")).to_have_text(
        "Noor Karimi now holds the system role trial creator."
    )
    await expect(alex.locator(".account-summary")).to_contain_text("trial creator")

    # Noor chooses her own password first, then may found a trial: not without training.
    noor = await sign_in("noor", account=(first, "Noor Karimi"), width=390)
    choose = noor.get_by_role("form", name="Choose your own password")
    await choose.get_by_label("Current password").fill(first)
    await choose.get_by_label("New password", exact=True).fill(NOOR_OWN)
    await choose.get_by_label("Repeat the new password").fill(NOOR_OWN)
    await choose.get_by_role("button", name="Set my password").click()
    await expect(noor.get_by_role("heading", name="Your trials")).to_be_visible()
    await noor.get_by_text("New trial").click()
    found = noor.get_by_role("form", name="Found a trial")
    await found.get_by_label("Trial id").fill("copd-303")
    await found.get_by_label("Title").fill("COPD-303: a second look")
    await found.get_by_label("Your organization").fill("Northwind Therapeutics")
    await found.get_by_role("button", name="Found trial").click()
    refusal = found.get_by_role("alert")
    await expect(refusal).to_contain_text("Founder's training not attested")
    await expect(refusal).to_contain_text(GCP)
    await screenshot(noor, "accounts-founding-refused-phone")

    attest = alex.get_by_role("form", name="Attest training")
    await attest.get_by_label("Course").fill(GCP)
    await attest.get_by_label("Completed on").fill("2026-01-10")
    await attest.get_by_role("button", name="Attest training").click()
    training = alex.locator("table.account-training")
    await expect(training).to_contain_text(GCP)
    await expect(training).to_contain_text("2026-01-10")
    await expect(training).to_contain_text("Alex Morgan")

    await found.get_by_role("button", name="Found trial").click()
    await expect(noor.get_by_role("heading", name="COPD-303: a second look")).to_be_visible()
    await expect(noor.get_by_role("link", name="Administration")).to_be_visible()
    await screenshot(noor, "accounts-founded-on-a-phone")

    # A withdrawal asks first, with the reason.
    withdraw = alex.get_by_role("form", name="Withdraw a training attestation")
    await withdraw.get_by_label("Course").select_option(GCP)
    await withdraw.get_by_label("Reason for withdrawing").fill("Certificate was for 2016")
    await withdraw.get_by_role("button", name="Withdraw…").click()
    await expect(withdraw).to_contain_text(
        f"Withdraw the attestation of Noor Karimi's training in {GCP}?"
    )
    await withdraw.get_by_role("button", name="Withdraw attestation").click()
    await expect(alex.get_by_text("No training is attested at system level.")).to_be_visible()

    # Resetting asks first; keeping things returns the focus to the button.
    reset = alex.get_by_role("form", name="Reset Noor Karimi's password")
    await reset.get_by_role("button", name="Reset password…").click()
    await expect(reset).to_contain_text("Their current password stops working")
    await reset.get_by_role("button", name="Keep things as they are").click()
    await expect(reset.get_by_role("button", name="Reset password…")).to_be_focused()
    await reset.get_by_role("button", name="Reset password…").press("Enter")
    await reset.get_by_role("button", name="Reset password", exact=True).click()
    second = await shown_once(alex, "One-time password of Noor Karimi")
    assert second != first
    await expect(alex.locator(".account-summary")).to_contain_text("must change password: yes")

    # Noor's open page is signed out at her next step; the new one-time password must
    # be replaced again before anything else.
    await noor.reload()
    await expect(noor.get_by_role("heading", name="Sign in to Concord")).to_be_visible()
    await noor.get_by_label("Username").fill("noor")
    await noor.get_by_label("Password").fill(second)
    await noor.get_by_role("button", name="Sign in").click()
    await expect(noor.get_by_role("heading", name="Choose your own password")).to_be_visible()

    # The trail is read when asked (account streams have no live connection).
    await alex.get_by_role("button", name="Read the trail again").click()
    trail = alex.locator("ol.account-trail")
    await expect(trail).to_contain_text("Account created by Alex Morgan: username noor")
    await expect(trail).to_contain_text(
        "System role trial creator granted by Alex Morgan. Reason: Leads the COPD programme"
    )
    await expect(trail).to_contain_text("Password changed by the account's owner")
    await expect(trail).to_contain_text(
        f"Training in {GCP} (completed on 2026-01-10) attested by Alex Morgan"
    )
    await expect(trail).to_contain_text(
        f"Training in {GCP} withdrawn by Alex Morgan. Reason: Certificate was for 2016"
    )
    await expect(trail).to_contain_text("Password reset by Alex Morgan")
    await expect(trail.locator("li").first).to_contain_text("Signed in from 127.0.0.1")
    await screenshot(alex, "accounts-one-account")


async def test_an_admin_disables_an_account_whose_open_page_is_signed_out(
    sign_in: SignIn, demo: dict[str, DemoPerson]
) -> None:
    pat = await sign_in("pat", width=390)
    await pat.goto("/#/t/asthma-301/protocol")
    await expect(pat.locator("#live-status")).to_have_text("Live")

    alex = await sign_in("alex")
    await open_account(alex, "Pat Okafor")
    disable = alex.get_by_role("form", name="Disable Pat Okafor's account")
    await disable.get_by_label("Reason for disabling").fill("Left the advocacy group")
    await disable.get_by_role("button", name="Disable account…").click()
    await expect(disable).to_contain_text("They are signed out everywhere at once")
    await disable.get_by_role("button", name="Disable account", exact=True).click()
    status = alex.locator(".accounts-status")
    await expect(status).to_have_text("Pat Okafor's account is disabled.")
    await expect(status).to_be_focused()
    await expect(alex.locator(".account-summary")).to_contain_text("disabled")

    # Pat's page lost its live connection and says why; signing in again is refused.
    await expect(pat.get_by_role("heading", name="Sign in to Concord")).to_be_visible()
    await expect(pat.get_by_text("You were signed out: your account was disabled.")).to_be_visible()
    await expect(pat.locator("#who")).to_be_empty()
    await screenshot(pat, "accounts-disabled-signed-out")
    await pat.get_by_label("Username").fill("pat")
    await pat.get_by_label("Password").fill(demo["pat"].password)
    await pat.get_by_role("button", name="Sign in").click()
    await expect(pat.get_by_role("alert")).to_contain_text("Not signed in")

    trail = alex.locator("ol.account-trail")
    await expect(trail).to_contain_text("Disabled by Alex Morgan. Reason: Left the advocacy group")
    await alex.get_by_role("button", name="Read the trail again").click()
    await expect(trail.locator("li").first).to_contain_text(
        "Sign-in refused: the account is disabled (from 127.0.0.1)"
    )

    enable = alex.get_by_role("form", name="Enable Pat Okafor's account")
    await enable.get_by_label("Reason for enabling").fill("Rejoined for the next review")
    await enable.get_by_role("button", name="Enable account…").click()
    await enable.get_by_role("button", name="Enable account", exact=True).click()
    await expect(status).to_have_text("Pat Okafor's account is enabled.")
    await expect(trail).to_contain_text(
        "Enabled by Alex Morgan. Reason: Rejoined for the next review"
    )
    await screenshot(alex, "accounts-disabled-and-enabled")


async def test_the_trail_shows_sign_ins_to_admins_and_auditors(
    sign_in: SignIn, services: Services, site: str, demo: dict[str, DemoPerson]
) -> None:
    async with httpx.AsyncClient(base_url=site) as client:
        refused = await client.post(
            "/api/session", json={"username": "ivy", "password": "not hers"}
        )
        assert refused.status_code == 401
        # a script of Ivy's session creates a token and revokes it
        session = await ok(
            client.post("/api/session", json={"username": "ivy", "password": demo["ivy"].password})
        )
        csrf = {"X-CSRF-Token": session["csrf_token"]}
        token = await ok(client.post("/api/tokens", json={"name": "lab laptop"}, headers=csrf))
        revoked = await client.delete(f"/api/tokens/{token['token_id']}", headers=csrf)
        assert revoked.status_code == 204
    await sign_in("ivy")

    alex = await sign_in("alex")
    await open_account(alex, "Dr Ivy Chen")
    trail = alex.locator("ol.account-trail")
    await expect(trail.locator("li").first).to_contain_text("Signed in from 127.0.0.1")
    await expect(trail.locator("li").first).to_contain_text("UTC")
    await expect(trail).to_contain_text("Sign-in refused: wrong password (from 127.0.0.1)")
    await expect(trail).to_contain_text("API token “lab laptop” created, expiring")
    await expect(trail).to_contain_text("API token “lab laptop” revoked by Dr Ivy Chen")

    # Audrey, signed in, is made an account auditor: the next page she opens offers the
    # trails, which she reads as the administrator does, with nothing to change.
    audrey = await sign_in("aud", width=390)
    await expect(audrey.get_by_role("link", name="Accounts")).to_have_count(0)
    roles = SystemRoles(services.account_log, services.accounts)
    await roles.grant(
        demo["aud"].user_id, SystemRole.ACCOUNT_AUDITOR, reason="Reviews access", meta=OPERATOR
    )
    await services.authorizer.wait_for(await services.store.head_position())
    await audrey.reload()  # the next page she opens asks who she is again
    await audrey.get_by_role("link", name="Accounts").click()
    await expect(audrey.get_by_role("heading", name="Account trails")).to_be_visible()
    await expect(audrey.get_by_role("form")).to_have_count(0)  # she changes nothing
    await audrey.get_by_role("link", name="Dr Ivy Chen").press("Enter")
    await expect(audrey.get_by_role("heading", name="Dr Ivy Chen", level=1)).to_be_visible()
    audited = audrey.locator("ol.account-trail")
    await expect(audited).to_contain_text("Sign-in refused: wrong password (from 127.0.0.1)")
    await expect(audited.locator("li").first).to_contain_text("Signed in from 127.0.0.1")
    await expect(audrey.get_by_role("form")).to_have_count(0)
    width = await audrey.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await screenshot(audrey, "accounts-trail-auditor-phone")


async def test_a_trial_admin_withdraws_training_asked_first_refused_while_a_role_needs_it(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    alex_api = await api("alex")
    ivy = demo["ivy"].user_id
    await ok(
        alex_api.post(
            f"/api/trials/asthma-301/members/{ivy}/training",
            json={"training": {"course": "Site Induction", "completed_on": "2026-02-01"}},
        )
    )
    alex = await sign_in("alex")
    await alex.goto("/#/t/asthma-301/admin")
    withdraw = alex.get_by_role("form", name="Withdraw training")
    await withdraw.get_by_label("Training attested").select_option(label=f"Dr Ivy Chen — {GCP}")
    await withdraw.get_by_label("Reason for withdrawing").fill("Wrong certificate")
    await withdraw.get_by_role("button", name="Withdraw training…").click()
    await expect(withdraw).to_contain_text(
        f"Withdraw the attestation of Dr Ivy Chen's training in {GCP}?"
    )
    await withdraw.get_by_role("button", name="Withdraw attestation").click()
    await expect(withdraw.get_by_role("alert")).to_contain_text(
        "A role the member holds requires this training"
    )
    await screenshot(alex, "trial-training-withdrawal-refused")
    await withdraw.get_by_role("button", name="Keep the attestation").click()
    await expect(withdraw.get_by_role("button", name="Withdraw training…")).to_be_focused()
    await expect(withdraw.get_by_label("Reason for withdrawing")).to_have_value("Wrong certificate")

    await withdraw.get_by_label("Training attested").select_option(
        label="Dr Ivy Chen — Site Induction"
    )
    await withdraw.get_by_label("Reason for withdrawing").fill("Attested for the wrong person")
    await withdraw.get_by_role("button", name="Withdraw training…").click()
    await withdraw.get_by_role("button", name="Withdraw attestation").click()
    await expect(alex.locator("#untraining-status")).to_have_text(
        "The attestation of Dr Ivy Chen's training in Site Induction is withdrawn."
    )
    ivy_row = alex.locator("table.members tbody tr").filter(
        has=alex.get_by_role("rowheader", name="Dr Ivy Chen")
    )
    await expect(ivy_row).not_to_contain_text("Site Induction")
    await expect(ivy_row).to_contain_text(GCP)


async def test_the_audit_page_links_each_member_to_their_account_trail_for_account_readers(
    sign_in: SignIn, services: Services, demo: dict[str, DemoPerson]
) -> None:
    # A trial auditor who may not read accounts sees names only.
    aud = await sign_in("aud")
    await aud.goto("/#/t/asthma-301/audit")
    members = aud.locator("table.roles-asof")
    await expect(members).to_contain_text("Dr Ivy Chen")
    await expect(members.get_by_role("link", name="Dr Ivy Chen")).to_have_count(0)
    # Made an account auditor, she follows a member's name to that account's trail.
    roles = SystemRoles(services.account_log, services.accounts)
    await roles.grant(
        demo["aud"].user_id, SystemRole.ACCOUNT_AUDITOR, reason="Inspection", meta=OPERATOR
    )
    await services.authorizer.wait_for(await services.store.head_position())
    await aud.goto("/#/t/asthma-301/audit")
    await aud.reload()  # the page asks who she is again
    await members.get_by_role("link", name="Dr Ivy Chen").click()
    await expect(aud.get_by_role("heading", name="Dr Ivy Chen", level=1)).to_be_visible()
    await expect(aud.locator("ol.account-trail")).to_contain_text("Account created")
    await screenshot(aud, "audit-member-account-trail")
