"""Amendment review as a pull request (issue 21): the signing ceremony and its
confirmation, a revision after a signature telling the signer, one discussion with
anchors, replies and times, and decisions offered only to who may take them, the
destructive ones asked first."""

from __future__ import annotations

import re

from playwright.async_api import expect

from server.demo import DemoPerson
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = "asthma-301"
AMENDMENTS = f"/api/trials/{TRIAL}/amendments"
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
DETAILS = {
    "summary": "Explain the trial with a short video at consent",
    "primary_reason": "Recruitment Difficulty",
    "safety_or_rights_impact": {"likely": False, "explanation": "Same consent"},
    "data_reliability_impact": {"likely": False, "explanation": "No data change"},
    "enrollment": {"value": 35, "unit": "percent"},
}
CONSENT_CHANGE = {
    "number": "11.3",
    "heading": "Informed Consent Process",
    "text": "Written informed consent is obtained before any trial procedure, with a video.",
    "description": "Add a consent video",
    "rationale": "Participants asked for it",
}


async def test_a_signer_sees_the_manifestation_then_is_told_when_a_revision_invalidates_it(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    ivy_api = await api("ivy")
    await ok(
        ivy_api.post(
            AMENDMENTS, json={"amendment_id": "A-2", "base_version": 1, "details": DETAILS}
        )
    )
    await ok(ivy_api.post(f"{AMENDMENTS}/A-2/changes", json={"change": CONSENT_CHANGE}))
    await ok(ivy_api.post(f"{AMENDMENTS}/A-2/submission", json={}))

    sam = await sign_in("sam")
    await sam.goto(f"/#/t/{TRIAL}/amendments")
    row = sam.get_by_role("row").filter(has_text="A-2")
    await expect(row).to_contain_text("0 of 2 signed")
    await expect(row).to_contain_text("sponsor approval: Samira Reyes")
    await expect(row).to_contain_text("patient advocate review: Pat Okafor")
    await row.get_by_role("link", name="A-2").click()

    stepper = sam.locator("ol.stepper")
    await expect(stepper.locator("li")).to_have_count(2)
    await expect(stepper.locator("li.waiting").first).to_contain_text("Awaits Samira Reyes")
    await sam.get_by_role("button", name="Review, then sign").click()
    await expect(sam.get_by_role("tab", name="Signatures")).to_have_attribute(
        "aria-selected", "true"
    )
    sign = sam.get_by_role("region", name="Your signature")
    a2 = await ok(ivy_api.get(f"{AMENDMENTS}/A-2"))
    await expect(sign.locator(".signing-what")).to_contain_text(a2["content_hash"])
    await expect(sign.locator(".signing-what")).to_contain_text("11.3 Informed Consent Process")
    # The meaning is the requirement's: approval, with no choice of authorship.
    await expect(sign.locator(".meaning-fixed")).to_contain_text("approval")
    await expect(sign.get_by_label("Meaning of your signature")).to_have_count(0)
    await expect(sign.get_by_role("option", name="authorship")).to_have_count(0)
    await sign.get_by_label("Password").fill(demo["sam"].password)
    await sign.get_by_role("button", name="Sign (approval)").click()

    confirmation = sam.get_by_role("region", name="You signed amendment A-2")
    await expect(confirmation).to_be_focused()
    await expect(confirmation).to_contain_text("Samira Reyes")
    await expect(confirmation).to_contain_text("approval: I approve this amendment")
    await expect(confirmation.locator("time")).to_have_text(UTC_TIME)
    await expect(confirmation).to_contain_text(a2["content_hash"])
    await expect(sam.locator("table.signatures")).to_contain_text("Samira Reyes")
    await expect(sam.locator("ol.stepper li.done")).to_contain_text("Signed by Samira Reyes")
    await expect(sam.locator(".stepper-title")).to_have_text("Signatures: 1 of 2 signed")
    await screenshot(sam, "amendment-signing-confirmation")

    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{TRIAL}/amendments/A-2")
    await ivy.get_by_role("tab", name="Details").click()
    await ivy.get_by_text("Revise the details").click()
    revise = ivy.get_by_role("form", name="Revise the details")
    await expect(revise).to_contain_text("Revising invalidates the signatures of Samira Reyes")
    await revise.get_by_label("Amendment summary").fill("Explain the trial with a subtitled video")
    await revise.get_by_role("button", name="Revise details").click()
    await expect(
        ivy.get_by_role("status").filter(has_text="The details are revised")
    ).to_be_focused()
    await ivy.get_by_role("tab", name="History").click()
    history = ivy.locator("ol.history")
    await expect(history).to_contain_text(
        "Dr Ivy Chen's change invalidated the signatures of Samira Reyes"
    )
    await expect(history.locator("time").first).to_have_text(UTC_TIME)

    # Samira's page, open all along, is told live.
    notice = sam.locator(".invalidated-notice")
    await expect(notice).to_contain_text("Your signature no longer counts.")
    await expect(notice).to_contain_text("Dr Ivy Chen changed the amendment at")
    await expect(notice.locator("time")).to_have_count(2)
    await expect(sam.locator(".stepper-title")).to_have_text("Signatures: 0 of 2 signed")
    await expect(sam.locator(".lead")).to_have_text("Explain the trial with a subtitled video")
    # Reloaded, she is told again, and may sign the new content.
    await sam.reload()
    await expect(sam.locator(".invalidated-notice")).to_contain_text("sign the new content again")
    await sam.get_by_role("tab", name="Signatures").click()
    invalidated = sam.locator(".invalidated")
    await expect(invalidated).to_contain_text("Samira Reyes")
    await expect(invalidated).to_contain_text(a2["content_hash"])
    await expect(sam.get_by_role("region", name="Your signature")).to_be_visible()
    await screenshot(sam, "amendment-signature-invalidated")


async def test_reject_is_destructive_and_asked_first_and_withdraw_only_for_who_may(
    sign_in: SignIn,
) -> None:
    omar = await sign_in("omar")
    await omar.goto(f"/#/t/{TRIAL}/amendments/A-1")
    await expect(omar.get_by_role("heading", name="Amendment A-1")).to_be_visible()
    await expect(omar.locator(".badge.status-submitted")).to_be_visible()
    await expect(omar.get_by_role("button", name="Withdraw…")).to_have_count(0)
    await expect(omar.get_by_role("button", name="Reject…")).to_have_count(0)

    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{TRIAL}/amendments/A-1")
    await expect(ivy.get_by_role("button", name="Withdraw…")).to_be_visible()
    await expect(ivy.get_by_role("button", name="Reject…")).to_have_count(0)

    sam = await sign_in("sam")
    await sam.goto(f"/#/t/{TRIAL}/amendments/A-1")
    reject = sam.get_by_role("button", name="Reject…")
    await expect(reject).to_have_class(re.compile("destructive"))
    await expect(reject).to_have_css("background-color", "rgb(164, 38, 44)")
    sign = sam.get_by_role("button", name="Review, then sign")
    await expect(sign).not_to_have_css("background-color", "rgb(164, 38, 44)")
    await reject.click()
    question = sam.get_by_role("form", name="Reject amendment")
    await expect(question).to_contain_text("Reject amendment A-1? It is closed for good")
    await expect(question.get_by_label("Reason for rejecting")).to_be_focused()
    await question.get_by_role("button", name="Keep it under review").click()
    await expect(sam.get_by_role("button", name="Reject…")).to_be_focused()
    await expect(sam.locator(".badge.status-submitted")).to_be_visible()

    await sam.get_by_role("button", name="Reject…").click()
    await sam.get_by_label("Reason for rejecting").fill("Spirometry above 65 is not validated")
    await sam.get_by_role("button", name="Reject amendment").click()
    await expect(
        sam.get_by_role("status").filter(has_text="Amendment A-1 is rejected.")
    ).to_be_focused()
    await expect(sam.locator(".badge.status-rejected")).to_have_text("rejected")
    await expect(sam.get_by_text("Reason: Spirometry above 65 is not validated")).to_be_visible()
    await expect(sam.get_by_role("button", name="Reject…")).to_have_count(0)
    await expect(ivy.locator(".badge.status-rejected")).to_have_text("rejected")
    await expect(ivy.get_by_role("button", name="Withdraw…")).to_have_count(0)
    await screenshot(sam, "amendment-rejected")


async def test_one_discussion_with_anchors_replies_and_times_follows_live(
    sign_in: SignIn,
) -> None:
    pat = await sign_in("pat")
    await pat.goto(f"/#/t/{TRIAL}/amendments/A-1")
    changes_tab = pat.get_by_role("tab", name="Changes")
    await changes_tab.focus()
    await pat.keyboard.press("ArrowRight")
    await pat.keyboard.press("ArrowRight")
    await pat.keyboard.press("ArrowRight")
    discussion_tab = pat.get_by_role("tab", name=re.compile("^Discussion"))
    await expect(discussion_tab).to_be_focused()
    await expect(discussion_tab).to_have_attribute("aria-selected", "true")
    thread = pat.locator("ul.thread")
    # The sponsor's review remark (older logs) and Pat's comment: one thread, with times.
    remark = thread.locator("li.remark")
    await expect(remark).to_contain_text("Samira Reyes")
    await expect(remark).to_contain_text("on 5.2 Inclusion Criteria")
    await expect(remark).to_contain_text("spirometry criteria")
    await expect(remark.locator("time")).to_have_text(UTC_TIME)
    await expect(thread.locator("> li")).to_have_count(2)

    # From the change itself: "Comment on 5.2" opens the discussion's form about it.
    await pat.get_by_role("tab", name="Changes").click()
    await pat.get_by_role("button", name="Comment on 5.2").click()
    await expect(discussion_tab).to_have_attribute("aria-selected", "true")
    await expect(pat.get_by_label("Your comment")).to_be_focused()
    await expect(pat.get_by_label("About", exact=True)).to_have_value("5.2")
    await pat.keyboard.type("Is a 75-year-old's FEV1 comparable?")
    await pat.get_by_role("button", name="Post comment").click()
    mine = thread.locator("> li").filter(has_text="FEV1 comparable")
    await expect(mine).to_contain_text("on 5.2 Inclusion Criteria")
    await expect(mine).to_contain_text("awaiting disposition")
    await expect(mine.locator(".comment-meta time")).to_have_text(UTC_TIME)

    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{TRIAL}/amendments/A-1")
    await ivy.get_by_role("tab", name=re.compile("^Discussion")).click()
    question = ivy.locator("ul.thread > li").filter(has_text="FEV1 comparable")
    await question.get_by_role("button", name="Reply to Pat Okafor").click()
    await expect(ivy.get_by_label("Your reply")).to_be_focused()
    await ivy.get_by_label("Your reply").fill("Yes: the GLI reference equations go to 95.")
    await ivy.get_by_role("button", name="Post reply").click()
    await expect(question.locator("ul.replies")).to_contain_text("GLI reference equations")

    # Pat sees the reply arrive under her comment, with who and when.
    reply = mine.locator("ul.replies > li")
    await expect(reply).to_contain_text("Dr Ivy Chen")
    await expect(reply).to_contain_text("GLI reference equations")
    await expect(reply.locator("time")).to_have_text(UTC_TIME)
    await expect(pat.get_by_role("tab", name=re.compile("^Discussion"))).to_contain_text("(4)")
    await screenshot(pat, "amendment-discussion")
