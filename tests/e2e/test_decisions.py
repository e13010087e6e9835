"""Motions (table, vote, recuse, tally) and disputes (raise, escalate, resolve)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.conftest import SignIn, screenshot

TRIAL = "asthma-301"


async def test_a_motion_is_tabled_voted_on_with_a_recusal_and_tallied(sign_in: SignIn) -> None:
    sam = await sign_in("sam")
    await sam.goto(f"/#/t/{TRIAL}/motions")
    await expect(
        sam.get_by_role("link", name="M-1: Use the electronic symptom diary")
    ).to_be_visible()
    table = sam.get_by_role("form", name="Table a motion")
    await table.get_by_label("Question").fill("Offer home spirometry at week 12?")
    for person in ("Alex Morgan", "Pat Okafor", "Dr Elena Rossi", "Audrey Fischer", "Dr Ivy Chen"):
        await table.get_by_label(person).uncheck()
    await table.get_by_role("button", name="Table motion").click()
    await expect(sam.get_by_role("heading", name="Motion M-2")).to_be_visible()
    await sam.get_by_role("button", name="Vote yes").click()
    await expect(sam.locator("table.tally")).to_contain_text("yes1")

    omar = await sign_in("omar")
    await omar.goto(f"/#/t/{TRIAL}/motions/M-2")
    await omar.get_by_label("Reason for recusing").fill("My clinic runs the home spirometry pilot")
    await omar.get_by_role("button", name="Recuse myself").click()
    await expect(
        omar.get_by_text("recused: My clinic runs the home spirometry pilot")
    ).to_be_visible()
    await expect(omar.get_by_role("button", name="Vote yes")).to_have_count(0)

    await expect(sam.get_by_text("1 of 2 eligible voters voted; 1 recused.")).to_be_visible()
    await sam.get_by_role("button", name="Close the motion and count the votes").click()
    await expect(sam.locator(".badge.status-decided")).to_have_text("decided")
    await expect(sam.locator(".outcome")).to_have_text("Outcome: yes")
    await expect(omar.locator(".outcome")).to_have_text("Outcome: yes")
    await screenshot(sam, "motion-decided")


async def test_a_dispute_is_raised_escalated_and_resolved(sign_in: SignIn) -> None:
    pat = await sign_in("pat")
    await pat.goto(f"/#/t/{TRIAL}/disputes")
    raise_form = pat.get_by_role("form", name="Raise a dispute")
    await raise_form.get_by_label("About").select_option("amendment")
    await raise_form.get_by_label("Amendment id, section number or motion id").fill("A-1")
    await raise_form.get_by_label("Concern").fill(
        "Transport support for older participants is not described"
    )
    await raise_form.get_by_role("button", name="Raise dispute").click()
    await expect(pat.get_by_role("heading", name="Dispute D-2")).to_be_visible()
    await expect(pat.get_by_role("button", name="Resolve dispute")).to_have_count(0)

    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{TRIAL}/disputes/D-2")
    await ivy.get_by_label("Reason for escalating").fill("Needs a sponsor budget decision")
    await ivy.get_by_role("button", name="Escalate to Trial steering committee").click()
    await expect(pat.locator(".ladder [aria-current=step]")).to_contain_text(
        "Trial steering committee"
    )
    await expect(ivy.get_by_role("button", name="Resolve dispute")).to_have_count(0)

    sam = await sign_in("sam")
    await sam.goto(f"/#/t/{TRIAL}/disputes/D-2")
    await sam.get_by_label("Resolution", exact=True).fill("Taxi vouchers for participants over 65")
    await sam.get_by_label("Rationale").fill("Budgeted by the steering committee")
    await sam.get_by_role("button", name="Resolve dispute").click()
    await expect(pat.get_by_role("region", name="Resolution")).to_contain_text(
        "Taxi vouchers for participants over 65"
    )
    await expect(pat.get_by_role("region", name="Resolution")).to_contain_text(
        "Resolved by Samira Reyes at Trial steering committee"
    )
    await screenshot(pat, "dispute-resolved")
