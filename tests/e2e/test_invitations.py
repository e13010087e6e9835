"""Joining a trial by invitation: an admin invites, the invitee answers on their overview
(a phone's width, by keyboard), the admin follows."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from server.services import Services
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"
TITLE = "ASTHMA-301: NW-301 in moderate persistent asthma"
NOOR = ("a long passphrase for noor", "Noor Karimi")
LEO = ("a long passphrase for leo", "Leo Brandt")
PHONE = 390
GCP = "ICH E6(R3) Good Clinical Practice"


async def open_administration(page: Page) -> None:
    await page.goto(f"/#/t/{TRIAL}/admin")
    await expect(page.get_by_role("heading", name="Administration", exact=True)).to_be_visible()


def pending_row(page: Page, username: str) -> Locator:
    return page.locator("table.invitations tbody tr").filter(
        has=page.get_by_role("rowheader", name=username, exact=True)
    )


def invitation_card(page: Page) -> Locator:
    return page.locator("li.invitation").filter(has=page.get_by_role("heading", name=TITLE))


async def test_an_admin_invites_and_the_invitee_accepts_on_their_overview(
    sign_in: SignIn, services: Services, api: Api
) -> None:
    noor_id = (await services.accounts.create_user("noor", NOOR[1], NOOR[0])).user_id
    noor = await sign_in("noor", account=NOOR, width=PHONE)
    await expect(noor.get_by_text("Noor Karimi is not a member of any trial yet.")).to_be_visible()
    await expect(
        noor.get_by_role("heading", name="Invitations awaiting your answer")
    ).to_have_count(0)

    alex = await sign_in("alex")
    await open_administration(alex)
    invite = alex.get_by_role("form", name="Invite a person")
    await expect(invite).to_contain_text("only if they accept")
    await invite.get_by_label("Username").fill("noor")
    await invite.get_by_label("Organization").select_option(label="St Mary's University Hospital")
    await invite.get_by_role("button", name="Send invitation").click()
    await expect(invite.get_by_role("status")).to_contain_text(
        "Invitation sent to noor for St Mary's University Hospital. They join when they accept it"
    )
    row = pending_row(alex, "noor")
    await expect(row).to_contain_text("Alex Morgan")
    await expect(row).to_contain_text(" UTC")
    await screenshot(alex, "invitation-sent")

    # Noor's overview shows the invitation: the trial's title, the organization, who.
    await noor.reload()
    card = invitation_card(noor)
    await expect(card).to_contain_text(
        "Alex Morgan invited you to join for St Mary's University Hospital (site)."
    )
    await expect(card.locator("time")).to_contain_text(" UTC")
    await expect(noor.get_by_text("Nobody is added without accepting")).to_be_visible()
    await screenshot(noor, "invitation-pending-390")

    # By keyboard: Tab reaches Accept, Enter accepts.
    accept = card.get_by_role("button", name="Accept")
    await accept.focus()
    await expect(accept).to_be_focused()
    await noor.keyboard.press("Enter")
    status = noor.get_by_role("status").filter(has_text="You joined")
    await expect(status).to_contain_text(f"You joined {TITLE} for St Mary's University Hospital.")
    await expect(status).to_be_focused()
    await expect(invitation_card(noor)).to_have_count(0)
    listed = noor.locator("ul.cards li", has_text=TITLE)
    await expect(listed).to_contain_text("You are a member without a role yet")
    await screenshot(noor, "invitation-accepted-390")

    # Alex's page follows live: Noor is a member, no longer pending.
    member = alex.locator("table.members tbody tr").filter(
        has=alex.get_by_role("rowheader", name="Noor Karimi")
    )
    await expect(member).to_contain_text("St Mary's University Hospital (site)")
    await expect(pending_row(alex, "noor")).to_have_count(0)
    await alex.get_by_text("Answered and withdrawn invitations").click()
    await expect(alex.locator("details.answered-invitations tr", has_text="noor")).to_contain_text(
        "accepted"
    )
    await screenshot(alex, "invitation-admin")

    # Trained and given a role, she opens the trial from her list.
    alex_api = await api("alex")
    member_path = f"/api/trials/{TRIAL}/members/{noor_id}"
    training = {"training": {"course": GCP, "completed_on": "2026-03-02"}}
    await ok(alex_api.post(f"{member_path}/training", json=training))
    grant = {"role": "site_staff", "reason": "Study coordinator at St Mary's"}
    await ok(alex_api.post(f"{member_path}/roles", json=grant))
    await noor.reload()
    await noor.get_by_role("link", name=TITLE).click()
    await expect(noor.get_by_role("heading", name=TITLE, exact=True)).to_be_visible()
    await expect(noor.get_by_text("Your roles: site staff")).to_be_visible()


async def test_an_invitee_declines_and_an_admin_withdraws_each_asked_first(
    sign_in: SignIn, services: Services, api: Api
) -> None:
    await services.accounts.create_user("noor", NOOR[1], NOOR[0])
    await services.accounts.create_user("leo", LEO[1], LEO[0])
    alex_api = await api("alex")
    for username in ("leo", "noor"):
        await ok(
            alex_api.post(
                f"/api/trials/{TRIAL}/invitations",
                json={"username": username, "organization_id": "riverside"},
            )
        )

    leo = await sign_in("leo", account=LEO, width=PHONE)
    card = invitation_card(leo)
    await card.get_by_role("button", name="Decline…").click()
    decline = leo.get_by_role("form", name=f"Decline the invitation to {TITLE}")
    await expect(decline.get_by_label("Reason (optional)")).to_be_focused()
    # Changing one's mind keeps the invitation, and the focus returns to where it was.
    await decline.get_by_role("button", name="Keep the invitation").click()
    await expect(decline).to_have_count(0)
    await expect(card.get_by_role("button", name="Decline…")).to_be_focused()
    await leo.keyboard.press("Enter")
    await expect(decline.get_by_label("Reason (optional)")).to_be_focused()
    await leo.keyboard.type("I have left Riverside")
    await screenshot(leo, "invitation-decline-question-390")
    await decline.get_by_role("button", name="Decline invitation").click()
    status = leo.get_by_role("status").filter(has_text="You declined")
    await expect(status).to_have_text(f"You declined the invitation to {TITLE}.")
    await expect(invitation_card(leo)).to_have_count(0)
    await expect(leo.get_by_text("Leo Brandt is not a member of any trial yet.")).to_be_visible()
    await screenshot(leo, "invitation-declined-390")

    noor = await sign_in("noor", account=NOOR)
    await expect(invitation_card(noor)).to_contain_text("Riverside Respiratory Clinic")
    await screenshot(noor, "invitation-pending")

    alex = await sign_in("alex", width=PHONE)
    await open_administration(alex)
    row = pending_row(alex, "noor")
    await row.get_by_role("button", name="Withdraw the invitation to noor").click()
    withdraw = alex.get_by_role("form", name="Withdraw the invitation to noor")
    await expect(withdraw).to_contain_text("They can no longer accept it.")
    await withdraw.get_by_label("Reason (optional)").fill("Riverside sends someone else")
    await screenshot(alex, "invitation-withdraw-question-390")
    await withdraw.get_by_role("button", name="Withdraw invitation").click()
    said = alex.locator("#invitations-status")
    await expect(said).to_have_text("The invitation to noor is withdrawn.")
    await expect(said).to_be_focused()
    await expect(pending_row(alex, "noor")).to_have_count(0)
    await expect(alex.get_by_text("No invitation awaits an answer.")).to_be_visible()
    await alex.get_by_text("Answered and withdrawn invitations").click()
    answered = alex.locator("details.answered-invitations")
    await expect(answered.locator("tr", has_text="leo")).to_contain_text("I have left Riverside")
    await expect(answered.locator("tr", has_text="noor")).to_contain_text(
        "Riverside sends someone else"
    )
    await screenshot(alex, "invitation-withdrawn-390")

    await noor.reload()
    await expect(noor.get_by_text("Noor Karimi is not a member of any trial yet.")).to_be_visible()
    await expect(invitation_card(noor)).to_have_count(0)
