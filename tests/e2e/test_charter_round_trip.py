"""Amending the charter from its page changes what the form shows and keeps everything
else as it was: a witness set through the API, the conflicts-of-interest rule, anything
the form has no field for, survive an amendment made on the page."""

from __future__ import annotations

import base64

from playwright.async_api import expect

from server.demo import DEMO_TRIAL
from tests.e2e.conftest import Api, SignIn, ok, screenshot
from tests.e2e.test_administration import open_administration

WITNESS = {"name": "ethics.example/witness", "public_key": base64.b64encode(bytes(32)).decode()}


async def test_amending_the_charter_on_its_page_keeps_what_the_page_does_not_edit(
    sign_in: SignIn, api: Api
) -> None:
    alex_api = await api("alex")
    trial = f"/api/trials/{DEMO_TRIAL}"
    charter = (await ok(alex_api.get(trial)))["charter"]
    charter["witnesses"] = [WITNESS]
    charter["conflicts_of_interest"] = {"same_organization": True}
    charter["concurrent_substantial_modifications"] = True
    set_through_api = {"charter": charter, "reason": "The ethics committee witnesses the log"}
    await ok(alex_api.put(f"{trial}/charter", json=set_through_api))
    before = (await ok(alex_api.get(trial)))["charter"]

    alex = await sign_in("alex")
    await open_administration(alex)
    await expect(alex.locator("ul.witnesses")).to_have_text("ethics.example/witness")
    await alex.get_by_text("Amend the charter", exact=True).click()
    amend = alex.get_by_role("form", name="Amend the charter")
    await amend.get_by_label("Participant-facing sections").fill("1.3, 11.3, lay-summary, 5.2")
    st_marys = amend.get_by_role("group", name="Approvals for St Mary's University Hospital")
    await st_marys.get_by_label(
        "Ethics committee covering St Mary's University Hospital"
    ).select_option(label="Central Research Ethics Committee")
    await amend.get_by_label("Reason for amending the charter").fill("Inclusion faces participants")
    await amend.get_by_role("button", name="Amend charter").click()
    await expect(alex.locator("dl.site-oversight")).to_contain_text(
        "Central Research Ethics Committee"
    )
    await expect(amend.get_by_role("alert")).to_have_count(0)

    after = (await ok(alex_api.get(trial)))["charter"]
    assert after["witnesses"] == [WITNESS]
    assert after["approval"]["participant_facing_sections"] == ["1.3", "11.3", "5.2", "lay-summary"]
    assert after["site_oversight"] == {
        "st-marys": {"ethics_committee": "central-irb", "regulator": ""}
    }
    changed = {"approval", "site_oversight"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert {k: v for k, v in after["approval"].items() if k != "participant_facing_sections"} == {
        k: v for k, v in before["approval"].items() if k != "participant_facing_sections"
    }
    await expect(alex.locator("ul.witnesses")).to_have_text("ethics.example/witness")
    await screenshot(alex, "charter-round-trip")
