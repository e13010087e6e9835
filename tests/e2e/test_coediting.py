"""Researchers write a draft section together, live: every keystroke reaches the others,
concurrent typing converges, a reader watches, a revoked editor turns read-only, and the
shared text becomes a revision with a reason."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Locator, Page, expect

from domain.streams import shared_text_stream
from server.demo import DemoPerson
from server.services import Services
from tests.e2e.conftest import Api, SignIn, ok, screenshot


async def open_section(page: Page, trial: str, number: str) -> Locator:
    await page.goto(f"/#/t/{trial}/protocol/{number}")
    await expect(page.locator("#section-heading")).to_contain_text(number)
    editor = page.get_by_role("textbox", name=f"Text of section {number}")
    await expect(editor).to_be_visible()
    return editor


async def written(editor: Locator) -> str:
    """The editor's text, without colleagues' carets (their names)."""
    text: str = await editor.evaluate(
        """(element) => {
            const copy = element.cloneNode(true);
            copy.querySelectorAll(".collaboration-carets__caret").forEach((c) => c.remove());
            return copy.textContent;
        }"""
    )
    return text


async def type_at_the_end(page: Page, editor: Locator, words: str) -> None:
    await editor.click()
    await page.keyboard.press("Control+End")
    await page.keyboard.type(words, delay=15)


async def type_at_the_start(page: Page, editor: Locator, words: str) -> None:
    await editor.click()
    await page.keyboard.press("Control+Home")
    await page.keyboard.type(words, delay=15)


async def test_two_researchers_type_into_the_same_paragraph_and_converge(
    sign_in: SignIn, draft_trial: str, services: Services
) -> None:
    ivy, omar = await sign_in("ivy"), await sign_in("omar")
    ivy_text = await open_section(ivy, draft_trial, "5.2")
    omar_text = await open_section(omar, draft_trial, "5.2")
    await expect(ivy.locator(".presence")).to_contain_text("Dr Omar Haddad")

    # At both ends of the same paragraph at once (typing at one spot at once interleaves
    # the two people's letters, as in any shared document).
    await asyncio.gather(
        type_at_the_end(ivy, ivy_text, " Ivy types here."),
        type_at_the_start(omar, omar_text, "Omar types too. "),
    )
    for editor in (ivy_text, omar_text):
        await expect(editor).to_contain_text("Ivy types here.")
        await expect(editor).to_contain_text("Omar types too.")
    await expect(ivy.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    await expect(omar.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    assert await written(ivy_text) == await written(omar_text)
    # Omar's caret shows in Ivy's editor, with his name.
    await expect(
        ivy.locator(".collaboration-carets__label, .collaboration-caret__label")
    ).to_contain_text("Dr Omar Haddad")
    await screenshot(ivy, "coediting-two-researchers")

    events = await services.store.read_stream(shared_text_stream(draft_trial, "5.2"))
    writers = {e.data.get("edited_by") for e in events if e.type == "SharedTextEdited"}
    assert len(writers) == 2

    reason = ivy.get_by_label("Reason for the change")
    await reason.fill("Both sites' wording")
    await ivy.get_by_role("button", name="Record revision").click()
    await expect(
        ivy.get_by_role("status").filter(has_text="Recorded as revision 2")
    ).to_be_visible()
    # Both wrote it (in the order they first did: they typed at once), Ivy recorded it.
    both = "(Dr Omar Haddad, Dr Ivy Chen|Dr Ivy Chen, Dr Omar Haddad)"
    await expect(omar.locator(".meta")).to_contain_text(
        re.compile(f"Revision 2, written by {both}; recorded by Dr Ivy Chen")
    )


async def test_a_reader_watches_the_text_change_and_cannot_type(
    sign_in: SignIn, draft_trial: str
) -> None:
    ivy, alex = await sign_in("ivy"), await sign_in("alex")
    ivy_text = await open_section(ivy, draft_trial, "5.2")
    alex_text = await open_section(alex, draft_trial, "5.2")
    await expect(alex_text).to_have_attribute("contenteditable", "false")
    await expect(alex.get_by_text("Your roles do not allow editing the protocol")).to_be_visible()
    await type_at_the_end(ivy, ivy_text, " Seen by the admin.")
    await expect(alex_text).to_contain_text("Seen by the admin.")
    await alex_text.click()
    await alex.keyboard.type("Alex was here")
    await expect(ivy_text).not_to_contain_text("Alex was here")
    await screenshot(alex, "coediting-reader")


async def test_an_editor_whose_role_is_revoked_turns_read_only_at_once(
    sign_in: SignIn, draft_trial: str, api: Api, demo: dict[str, DemoPerson]
) -> None:
    omar = await sign_in("omar")
    omar_text = await open_section(omar, draft_trial, "5.2")
    await expect(omar_text).to_have_attribute("contenteditable", "true")
    alex = await api("alex")
    omar_id = demo["omar"].user_id
    await ok(
        alex.post(
            f"/api/trials/{draft_trial}/members/{omar_id}/role-revocations",
            json={"role": "investigator", "reason": "Left the site"},
        )
    )
    await expect(omar_text).to_have_attribute("contenteditable", "false")
    await expect(
        omar.get_by_text("You may no longer read this trial. The text is read-only.")
    ).to_be_visible()
    await screenshot(omar, "coediting-revoked")


async def test_rich_text_typed_by_hand_is_recorded_and_stays_inert(
    sign_in: SignIn, draft_trial: str, api: Api
) -> None:
    ivy = await sign_in("ivy")
    editor = await open_section(ivy, draft_trial, "5.3")
    await editor.click()
    await ivy.keyboard.press("Control+End")
    await ivy.keyboard.press("Enter")
    await ivy.keyboard.press("Control+b")
    await ivy.keyboard.type("Important")
    await ivy.keyboard.press("Control+b")
    await ivy.keyboard.type(" <script>window.injected = true</script><img src=x onerror=alert(1)>")
    await expect(editor.locator("strong")).to_have_text("Important")
    await expect(ivy.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    await ivy.get_by_label("Reason for the change").fill("Emphasis")
    await ivy.get_by_role("button", name="Record revision").click()
    await expect(ivy.locator(".flash")).to_contain_text("Recorded as revision")
    assert await ivy.evaluate("window.injected") is None
    protocol = await ok((await api("ivy")).get(f"/api/trials/{draft_trial}/protocol"))
    section = next(s for s in protocol["sections"] if s["number"] == "5.3")
    assert "**Important** <script>window.injected = true</script>" in section["text"]
    await screenshot(ivy, "coediting-rich-text")


async def test_two_authors_write_an_amendment_s_change_together_and_see_each_other(
    sign_in: SignIn, services: Services
) -> None:
    ivy, sam = await sign_in("ivy"), await sign_in("sam")
    editors = []
    for page in (ivy, sam):
        await page.goto("/#/t/asthma-301/amendments/A-1")
        editor = page.get_by_role("textbox", name="Proposed text of section 5.2")
        # From the amendment's own proposal (18 to 75), not the protocol's text.
        await expect(editor).to_contain_text("Age 18 to 75 years")
        editors.append(editor)
    await type_at_the_end(ivy, editors[0], " Body mass index below 40.")
    await expect(editors[1]).to_contain_text("Body mass index below 40.")
    await type_at_the_end(sam, editors[1], " Sam agrees.")
    await expect(editors[0]).to_contain_text("Body mass index below 40. Sam agrees.")
    await expect(ivy.locator(".collaboration-carets__label")).to_contain_text("Samira Reyes")
    await expect(ivy.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    await screenshot(sam, "coediting-amendment")


async def test_an_auditor_sees_who_wrote_which_words_since_the_last_revision(
    sign_in: SignIn, draft_trial: str, demo: dict[str, DemoPerson]
) -> None:
    ivy, alex = await sign_in("ivy"), await sign_in("alex")  # alex: trial admin, audit:read
    ivy_text = await open_section(ivy, draft_trial, "5.2")
    await type_at_the_end(ivy, ivy_text, " Written by Ivy.")
    await expect(ivy.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()
    await open_section(alex, draft_trial, "5.2")
    await alex.get_by_text("Who wrote what since the last revision").click()
    panel = alex.locator(".authorship")
    await expect(panel.locator(".writers")).to_have_text("Dr Ivy Chen")
    written = panel.locator(f'[data-by="{demo["ivy"].user_id}"]')
    await expect(written).to_have_text("Written by Ivy.")
    await expect(panel).to_contain_text("Age 40 to 80 years")  # there before: nobody's
    await screenshot(alex, "coediting-authorship")
