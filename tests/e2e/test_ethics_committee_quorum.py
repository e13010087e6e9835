"""The charter page shows the ethics committee's quorum, and a trial admin sets it with
the rest of the charter: one that cannot be met is refused, naming what broke."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.conftest import SignIn
from tests.e2e.test_administration import open_administration


async def test_a_trial_admin_sets_the_ethics_committees_quorum(sign_in: SignIn) -> None:
    alex = await sign_in("alex")
    await open_administration(alex)
    shown = alex.locator("dd.ethics-committee")
    await expect(shown).to_have_text(
        "9 members (ethics committee majority): more than 1/2 of the members present,"
        " more than 1/2 of those present in favour"
    )

    await alex.get_by_text("Amend the charter", exact=True).click()
    amend = alex.get_by_role("form", name="Amend the charter")
    committee = amend.get_by_role("group", name="Ethics committee quorum")
    await committee.get_by_label("In favour of those present: numerator").fill("3")
    await amend.get_by_label("Reason for amending the charter").fill("Our committee has five")
    await amend.get_by_role("button", name="Amend charter").click()
    refusal = amend.get_by_role("alert")
    await expect(refusal).to_contain_text(
        "the ethics committee's rule 'ethics committee majority': majority more than 3/2"
        " cannot be met"
    )

    await committee.get_by_label("In favour of those present: numerator").fill("2")
    await committee.get_by_label("In favour of those present: denominator").fill("3")
    await committee.get_by_label("In favour of those present: share").select_option("at least")
    await committee.get_by_label("Committee members").fill("5")
    await committee.get_by_label("Committee rule name").fill("two thirds of five")
    await amend.get_by_role("button", name="Amend charter").click()
    await expect(shown).to_have_text(
        "5 members (two thirds of five): more than 1/2 of the members present,"
        " at least 2/3 of those present in favour"
    )
    await expect(amend.get_by_role("alert")).to_have_count(0)
