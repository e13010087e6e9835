"""A patient advocate comments on a protocol section; the sponsor sees it live and says
what became of it; the advocate sees the disposition and its reason arrive; the sponsor
replies under her comment and the reply arrives nested under it, with who and when."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import Api, SignIn, ok, screenshot
from tests.e2e.test_protocol_editing import open_section
from tests.e2e.test_responsive import SIDEWAYS

TRIAL = "asthma-301"
COMMENT = "Could people up to 80 join? Many of our members are over 65."
REPLY = "We will ask the sites whether 75 to 80 could join a later cohort."
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


async def test_an_advocates_comment_on_a_section_gets_a_disposition_everyone_sees(
    sign_in: SignIn,
) -> None:
    pat = await sign_in("pat")
    sam = await sign_in("sam")
    for page in (pat, sam):
        await open_section(page, TRIAL, "5.2")
    pats_view = pat.get_by_role("region", name="Comments on section 5.2")
    sams_view = sam.get_by_role("region", name="Comments on section 5.2")

    await pats_view.get_by_label("Your comment").fill(COMMENT)
    await pats_view.get_by_role("button", name="Post comment").click()
    on_pats_page = pats_view.locator("li.comment").filter(has_text=COMMENT)
    await expect(on_pats_page).to_contain_text("Pat Okafor")
    await expect(on_pats_page).to_contain_text("awaiting disposition")
    await expect(on_pats_page.get_by_role("form")).to_have_count(0)  # not her own to settle

    on_sams_page = sams_view.locator("li.comment").filter(has_text=COMMENT)
    await expect(on_sams_page).to_contain_text("awaiting disposition")  # arrived live
    disposition = on_sams_page.get_by_role("form", name="Disposition of comment")
    await disposition.get_by_label("Disposition").select_option("partly_adopted")
    await disposition.get_by_label("Reason (the author is told)").fill(
        "The upper limit becomes 75: spirometry norms above 75 are unreliable"
    )
    await disposition.get_by_role("button", name="Record disposition").click()

    await expect(on_pats_page).to_contain_text(
        "partly adopted by Samira Reyes: The upper limit becomes 75"
    )
    await expect(on_pats_page).not_to_contain_text("awaiting disposition")
    await expect(on_sams_page).to_contain_text("partly adopted")
    await expect(on_pats_page.locator(".comment-meta time").first).to_have_text(UTC_TIME)

    # Samira replies under Pat's comment; it arrives on Pat's page nested under it, live.
    await on_sams_page.get_by_role("button", name="Reply to Pat Okafor").click()
    await expect(sams_view.get_by_label("Your reply")).to_be_focused()
    await sams_view.get_by_label("Your reply").fill(REPLY)
    await sams_view.get_by_role("button", name="Post reply").click()
    await expect(sams_view.get_by_role("status")).to_have_text("Your reply is posted.")
    await expect(sams_view.get_by_label("Your reply")).to_have_count(0)
    reply = on_pats_page.get_by_role("list", name="Replies to Pat Okafor").get_by_role("listitem")
    await expect(reply).to_contain_text("Samira Reyes")
    await expect(reply).to_contain_text(REPLY)
    await expect(reply.locator("time")).to_have_text(UTC_TIME)
    await expect(reply).not_to_contain_text("awaiting disposition")  # not an advocate's
    # the disposition stays with the comment it is about, above the reply
    await expect(on_pats_page.locator(":scope > .disposition")).to_contain_text(
        "partly adopted by Samira Reyes"
    )
    await screenshot(pat, "advocate-section-comment-dispositioned")

    # her overview lists it beside her comment on A-1, each with what became of it
    await pat.get_by_role("link", name="Overview").click()
    mine = pat.get_by_role("region", name="Your comments and what became of them")
    on_section = mine.get_by_role("listitem").filter(has_text=COMMENT)
    await expect(on_section).to_contain_text("partly adopted by Samira Reyes")
    await on_section.get_by_role("link", name="section 5.2").click()
    await expect(pat.locator("#section-heading")).to_contain_text("5.2")


async def test_a_reply_being_typed_on_a_phone_survives_a_live_update(
    sign_in: SignIn, api: Api
) -> None:
    sam_api = await api("sam")
    thread = f"/api/trials/{TRIAL}/comments/section/5.2"
    await ok(sam_api.post(thread, json={"text": "Should 5.2 name the spirometry standard?"}))
    pat = await sign_in("pat", width=390)
    await open_section(pat, TRIAL, "5.2")
    view = pat.get_by_role("region", name="Comments on section 5.2")
    question = view.locator("li.comment").filter(has_text="spirometry standard")
    await expect(question.locator(".comment-meta time")).to_have_text(UTC_TIME)

    await question.get_by_role("button", name="Reply to Samira Reyes").click()
    await view.get_by_label("Your reply").fill("Yes, the ATS/ERS 2019 one")
    # Samira comments again meanwhile: the thread is rebuilt live under Pat's typing.
    await ok(sam_api.post(thread, json={"text": "And the reference equations?"}))
    await expect(view.locator("li.comment").filter(has_text="reference equations")).to_have_count(1)
    await expect(view.get_by_label("Your reply")).to_have_value("Yes, the ATS/ERS 2019 one")
    await expect(view.get_by_label("Your reply")).to_be_focused()

    await view.get_by_role("button", name="Post reply").click()
    reply = question.get_by_role("list", name="Replies to Samira Reyes").get_by_role("listitem")
    await expect(reply).to_contain_text("Pat Okafor")
    await expect(reply).to_contain_text("Yes, the ATS/ERS 2019 one")
    await expect(reply).to_contain_text("awaiting disposition")  # an advocate's reply
    await expect(question.get_by_role("button", name="Reply to Samira Reyes")).to_be_focused()
    assert await pat.evaluate(SIDEWAYS) == []
    await screenshot(pat, "section-comment-reply-on-a-phone")
