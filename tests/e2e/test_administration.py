"""The trial admin's page: organizations, members, training, roles and the charter."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from server.services import Services
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"
TRIAL_TITLE = "ASTHMA-301: NW-301 in moderate persistent asthma"
GCP = "ICH E6(R3) Good Clinical Practice"
NOOR_PASSWORD = "a long passphrase for noor"


async def open_administration(page: Page) -> None:
    await page.goto(f"/#/t/{TRIAL}")
    await page.get_by_role("link", name="Administration").click()
    await expect(page.get_by_role("heading", name="Administration", exact=True)).to_be_visible()


def member_row(page: Page, name: str) -> Locator:
    return page.locator("table.members tbody tr").filter(
        has=page.get_by_role("rowheader", name=name)
    )


async def test_a_trial_admin_admits_invites_trains_grants_and_revokes(
    sign_in: SignIn, services: Services
) -> None:
    await services.accounts.create_user("noor", "Noor Karimi", NOOR_PASSWORD)
    alex = await sign_in("alex")
    await open_administration(alex)

    admit = alex.get_by_role("form", name="Admit an organization")
    await admit.get_by_label("Organization name").fill("Northgate Research CRO")
    await admit.get_by_label("Kind").select_option("cro")
    await admit.get_by_role("button", name="Admit organization").click()
    await expect(alex.locator("#done-admit")).to_have_text(
        "Northgate Research CRO is admitted as a cro organization (northgate-research-cro)."
    )
    organization = alex.locator("table.organizations tr", has_text="Northgate Research CRO")
    await expect(organization).to_contain_text("northgate-research-cro")
    await expect(organization).to_contain_text("cro")

    invite = alex.get_by_role("form", name="Invite a person")
    await invite.get_by_label("Username").fill("ivy")
    await invite.get_by_label("Organization").select_option(label="Northgate Research CRO")
    await invite.get_by_role("button", name="Send invitation").click()
    await expect(invite.get_by_role("alert")).to_contain_text("Already a member")
    await invite.get_by_label("Username").fill("noor")
    await invite.get_by_role("button", name="Send invitation").click()
    await expect(invite.get_by_role("status")).to_contain_text("Invitation sent to noor")
    pending = alex.locator("table.invitations tr", has_text="noor")
    await expect(pending).to_contain_text("Northgate Research CRO")
    await expect(member_row(alex, "Noor Karimi")).to_have_count(0)

    # Noor joins only by accepting; Alex's page shows her as a member without reloading.
    invitee = await sign_in("noor", account=(NOOR_PASSWORD, "Noor Karimi"))
    await invitee.get_by_role("button", name="Accept").click()
    noor = member_row(alex, "Noor Karimi")
    await expect(noor).to_contain_text("Northgate Research CRO (cro)")
    await expect(noor.locator("td.roles")).to_have_text("none")
    await expect(noor.get_by_role("rowheader")).to_have_attribute("title", re.compile(r"^u-"))
    # Without a role, the trial's page says so (not a refusal) and waits for one.
    await invitee.goto(f"/#/t/{TRIAL}")
    await expect(
        invitee.get_by_text(f"You are a member of {TRIAL_TITLE} but hold no role yet;")
    ).to_be_visible()
    await screenshot(invitee, "no-role-waiting")

    # The charter requires attested training before the role can be granted.
    grant = alex.get_by_role("form", name="Grant a role")
    await grant.get_by_label("Member").select_option(label="Noor Karimi")
    await grant.get_by_label("Role").select_option("sponsor_member")
    # Whether she qualifies is shown before the grant, from the charter's requirements.
    await expect(grant.locator(".qualification")).to_contain_text(
        "Noor Karimi does not qualify for sponsor member yet."
    )
    await expect(grant.locator(".qualification")).to_contain_text(
        f"Training in {GCP}: not attested yet."
    )
    await grant.get_by_label("Reason for granting").fill("Monitors the Riverside site")
    await grant.get_by_role("button", name="Grant role").click()
    refusal = grant.get_by_role("alert")
    await expect(refusal).to_contain_text("The role needs training that has not been attested")
    await expect(refusal).to_contain_text(f"needs attested training in {GCP}")
    await expect(noor.locator("td.roles")).to_have_text("none")

    attest = alex.get_by_role("form", name="Attest training")
    await attest.get_by_label("Member").select_option(label="Noor Karimi")
    await attest.get_by_label("Course").select_option(GCP)
    await attest.get_by_label("Completed on").fill("2026-03-02")
    await attest.get_by_role("button", name="Attest training").click()
    await expect(noor).to_contain_text(f"{GCP} — 2026-03-02")
    done = alex.locator("#done-attest")
    await expect(done).to_have_text(
        f"Noor Karimi's training in {GCP} (completed on 2026-03-02) is attested."
    )
    await expect(done).to_be_focused()

    # What was typed into the refused grant is still there.
    await expect(grant.get_by_label("Reason for granting")).to_have_value(
        "Monitors the Riverside site"
    )
    await expect(grant.locator(".qualification")).to_contain_text(
        "Noor Karimi qualifies for sponsor member."
    )
    await grant.get_by_role("button", name="Grant role").click()
    await expect(noor.locator("td.roles")).to_have_text("sponsor member")
    await expect(grant.get_by_role("alert")).to_have_count(0)
    await expect(alex.locator("#done-grant")).to_have_text(
        "Noor Karimi now holds the role sponsor member."
    )
    # Her waiting page opens the trial once the role arrives, without her doing anything.
    await expect(
        invitee.get_by_role("navigation", name="Trial").get_by_role("link", name="Motions")
    ).to_be_visible()
    await expect(invitee.get_by_text("hold no role yet")).to_have_count(0)
    await expect(invitee.get_by_role("heading", level=1)).to_be_visible()
    await screenshot(invitee, "no-role-then-role")

    revoke = alex.get_by_role("form", name="Revoke a role")
    await revoke.get_by_label("Role held").select_option(label="Noor Karimi — sponsor member")
    await revoke.get_by_label("Reason for revoking").fill("Monitoring contract ended")
    await revoke.get_by_role("button", name="Revoke role").click()
    await expect(noor.locator("td.roles")).to_have_text("none")
    await expect(alex.locator("#done-revoke")).to_have_text(
        "Noor Karimi no longer holds the role sponsor member."
    )
    await screenshot(alex, "administration")


async def test_only_admins_get_the_page_and_it_follows_other_admins_live(
    sign_in: SignIn, api: Api
) -> None:
    sam = await sign_in("sam")
    await sam.goto(f"/#/t/{TRIAL}")
    await expect(sam.get_by_role("link", name="Protocol")).to_be_visible()
    await expect(sam.get_by_role("link", name="Administration")).to_have_count(0)
    await sam.goto(f"/#/t/{TRIAL}/admin")
    await expect(sam.get_by_text("Only the trial's administrators manage")).to_be_visible()
    await expect(sam.get_by_role("form")).to_have_count(0)

    alex = await sign_in("alex")
    await open_administration(alex)
    # Another of Alex's sessions (a script) makes Samira an admin: both pages follow.
    alex_api = await api("alex")
    members = (await ok(alex_api.get(f"/api/trials/{TRIAL}")))["members"]
    samira = next(m["user_id"] for m in members.values() if m["printed_name"] == "Samira Reyes")
    await ok(
        alex_api.post(
            f"/api/trials/{TRIAL}/members/{samira}/roles",
            json={"role": "trial_admin", "reason": "Deputy administrator"},
        )
    )
    await expect(member_row(alex, "Samira Reyes").locator("td.roles")).to_contain_text(
        "trial admin"
    )
    await expect(sam.get_by_role("link", name="Administration")).to_be_visible()
    await expect(sam.get_by_role("form", name="Admit an organization")).to_be_visible()

    # Samira admits an organization; Alex's page shows it without reloading.
    admit = sam.get_by_role("form", name="Admit an organization")
    await admit.get_by_label("Organization name").fill("Lakeside Hospital")
    await admit.get_by_label("Organization id").fill("lakeside")
    await admit.get_by_label("Kind").select_option("site")
    await admit.get_by_role("button", name="Admit organization").click()
    await expect(
        alex.locator("table.organizations tr", has_text="Lakeside Hospital")
    ).to_contain_text("lakeside")
    await screenshot(alex, "administration-live")


async def test_a_trial_admin_amends_the_charter_with_a_reason(sign_in: SignIn) -> None:
    alex = await sign_in("alex")
    await open_administration(alex)
    rules = alex.locator("table.role-rules")
    site_staff = rules.locator("tr").filter(has=alex.get_by_role("rowheader", name="site staff"))
    await expect(site_staff).to_contain_text(GCP)

    await alex.get_by_text("Amend the charter", exact=True).click()
    amend = alex.get_by_role("form", name="Amend the charter")
    await amend.get_by_label("Training for site staff").fill(f"{GCP}; Site Induction")
    # A quorum rule no vote can meet is refused, with the rule and what broke it.
    unanimous = amend.get_by_role("group", name="Quorum rule unanimous")
    await unanimous.get_by_label("Majority: numerator").fill("3")
    await unanimous.get_by_label("Majority: denominator").fill("2")
    await amend.get_by_label("Reason for amending the charter").fill("Sites asked for induction")
    await amend.get_by_role("button", name="Amend charter").click()
    refusal = amend.get_by_role("alert")
    await expect(refusal).to_contain_text("The governance charter is inconsistent")
    await expect(refusal).to_contain_text("quorum rule 'unanimous': majority at least 3/2")

    await unanimous.get_by_label("Majority: numerator").fill("1")
    await unanimous.get_by_label("Majority: denominator").fill("1")
    await amend.get_by_role("button", name="Amend charter").click()
    await expect(site_staff).to_contain_text(f"{GCP}; Site Induction")
    await expect(amend.get_by_role("alert")).to_have_count(0)
    # The other rules are as they were.
    await expect(alex.locator("table.quorum-rules")).to_contain_text("unanimous")
    await expect(alex.locator("table.quorum-rules tr", has_text="unanimous")).to_contain_text(
        "at least 1/1"
    )
