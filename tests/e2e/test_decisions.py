"""Motions (table, vote, recuse, tally) and disputes (raise, escalate, resolve)."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import SignIn, screenshot

TRIAL = "asthma-301"
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")
"""The one time format people read (issue 21)."""


async def test_a_motion_is_tabled_voted_on_with_a_recusal_and_tallied(sign_in: SignIn) -> None:
    sam = await sign_in("sam")
    await sam.goto(f"/#/t/{TRIAL}/motions")
    await expect(
        sam.get_by_role("link", name="M-1: Use the electronic symptom diary")
    ).to_be_visible()
    table = sam.get_by_role("form", name="Table a motion")
    # Voters default from who may vote: every member with a role, never the auditor.
    await expect(table.get_by_label("Audrey Fischer")).to_be_disabled()
    await expect(table.get_by_label("Audrey Fischer")).not_to_be_checked()
    await expect(table.get_by_label("Pat Okafor")).to_be_checked()
    await expect(table.get_by_text("closes in 7 days, ")).to_be_visible()
    await table.get_by_label("Question").fill("Offer home spirometry at week 12?")
    for person in ("Alex Morgan", "Pat Okafor", "Dr Elena Rossi", "Dr Ivy Chen"):
        await table.get_by_label(person).uncheck()
    await table.get_by_role("button", name="Table motion").click()
    await expect(sam.get_by_role("heading", name="Motion M-2")).to_be_visible()
    await expect(sam.locator(".deadline")).to_contain_text("Voting closes in 7 days, ")
    await expect(sam.locator(".deadline")).to_contain_text(" UTC")

    # A vote is confirmed first; cancelling casts nothing.
    await sam.get_by_role("button", name="Vote yes").click()
    await sam.get_by_role("button", name="Cancel").click()
    await expect(sam.locator("#motion-status")).to_have_text("No vote was cast.")
    await expect(sam.locator(".tally-sum")).to_contain_text("0 of 2 eligible voted")
    await sam.get_by_role("button", name="Vote yes").click()
    await expect(
        sam.get_by_text("Vote “yes” on M-2? Once cast, a vote cannot be changed.")
    ).to_be_visible()
    await sam.get_by_role("button", name="Cast my vote: yes").click()
    await expect(sam.locator("#motion-status")).to_have_text("Your vote “yes” on M-2 is recorded.")
    await expect(sam.locator("#motion-status")).to_be_focused()
    await expect(sam.locator("table.tally")).to_contain_text("yes1")
    await expect(sam.get_by_text("A vote or a recusal is final")).to_be_visible()
    await expect(sam.get_by_role("button", name="Vote no")).to_have_count(0)

    omar = await sign_in("omar")
    await omar.goto(f"/#/t/{TRIAL}/motions/M-2")
    await omar.get_by_label("Reason for recusing").fill("My clinic runs the home spirometry pilot")
    await omar.get_by_role("button", name="Recuse myself").click()
    await expect(
        omar.get_by_text("recused: My clinic runs the home spirometry pilot").first
    ).to_be_visible()
    await expect(omar.get_by_role("button", name="Vote yes")).to_have_count(0)

    # The arithmetic in words: simple majority of 2 eligible needs 1 vote to be quorate.
    await expect(sam.locator(".tally-sum")).to_have_text(
        "1 of 2 eligible voted (1 recused); quorum 1 reached;"
        " 1 for “yes” of 1 vote, majority needs 1."
    )
    await expect(sam.get_by_role("img", name="Turnout: 1 of 2 voted; quorum 1")).to_be_visible()
    await sam.get_by_role("button", name="Close the motion and count the votes").click()
    await expect(sam.locator(".badge.status-decided")).to_have_text("decided")
    await expect(sam.locator(".outcome")).to_have_text("Outcome: yes")
    await expect(omar.locator(".outcome")).to_have_text("Outcome: yes")
    history = sam.get_by_role("region", name="History")
    await expect(history).to_contain_text("Samira Reyes tabled the motion")
    await expect(history).to_contain_text("Samira Reyes voted “yes”")
    await expect(history).to_contain_text("Dr Omar Haddad recused: My clinic runs")
    await expect(history).to_contain_text("closed it: decided, “yes” carried")
    await expect(history.locator("time").first).to_have_text(UTC_TIME)
    await screenshot(sam, "motion-decided")

    # At 390 px the bars and the sentence fit the screen; nothing scrolls sideways.
    phone = await sign_in("pat", width=390)
    await phone.goto(f"/#/t/{TRIAL}/motions/M-2")
    await expect(phone.locator(".tally-sum")).to_contain_text("quorum 1 reached")
    assert await phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await screenshot(phone, "motion-decided-phone")


async def test_a_dispute_is_raised_escalated_and_resolved(sign_in: SignIn) -> None:
    pat = await sign_in("pat")
    await pat.goto(f"/#/t/{TRIAL}/disputes")
    raise_form = pat.get_by_role("form", name="Raise a dispute")
    await raise_form.get_by_label("About").select_option("amendment")
    # The subject is chosen from the trial's own records, not typed.
    await raise_form.get_by_label("Subject").select_option("A-1")
    await raise_form.get_by_label("Concern").fill(
        "Transport support for older participants is not described"
    )
    await raise_form.get_by_role("button", name="Raise dispute").click()
    await expect(pat.get_by_role("heading", name="Dispute D-2")).to_be_visible()
    await expect(pat.get_by_role("button", name="Resolve dispute")).to_have_count(0)
    await expect(pat.locator(".meta time").first).to_have_text(UTC_TIME)

    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{TRIAL}/disputes/D-2")
    await ivy.get_by_label("Reason for escalating").fill("Needs a sponsor budget decision")
    await ivy.get_by_role("button", name="Escalate to Trial steering committee").click()
    await expect(ivy.locator("#dispute-status")).to_have_text(
        "D-2 escalated to Trial steering committee."
    )
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
    # The ladder's history keeps the escalation's reason, who and when.
    await expect(pat.locator(".ladder")).to_contain_text("escalated by Dr Ivy Chen")
    await expect(pat.locator(".ladder")).to_contain_text("“Needs a sponsor budget decision”")
    history = pat.get_by_role("region", name="History")
    await expect(history).to_contain_text(
        "Dr Ivy Chen escalated it to Trial steering committee: “Needs a sponsor budget decision”"
    )
    await expect(history).to_contain_text("Samira Reyes resolved it at Trial steering committee")
    await screenshot(pat, "dispute-resolved")

    # Linked both ways: the dispute names its subject, whose page lists the dispute.
    await pat.get_by_role("link", name="amendment A-1").click()
    about = pat.get_by_role("region", name="Disputes about A-1")
    await expect(about.get_by_role("link", name="D-2: Transport support")).to_be_visible()
    await about.get_by_role("link", name="D-2: Transport support").click()
    await expect(pat.get_by_role("heading", name="Dispute D-2")).to_be_visible()
