"""The trial's overview shows, per investigator site, the protocol version in force and
what awaits approval or activation; the site's committee records its approval and the
site's investigator activates the version from there. A merged amendment's page says
where its version stands at each site."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from server.demo import DEMO_TRIAL, DemoPerson
from tests.e2e.conftest import Api, SignIn, ok, screenshot

TRIAL = f"/api/trials/{DEMO_TRIAL}"
ST_MARYS = "St Mary's University Hospital"
RIVERSIDE = "Riverside Respiratory Clinic"


async def name_the_committees(api: Api) -> None:
    alex = await api("alex")
    charter = (await ok(alex.get(TRIAL)))["charter"]
    charter["site_oversight"] = {
        "st-marys": {"ethics_committee": "central-irb"},
        "riverside": {"ethics_committee": "central-irb"},
    }
    body = {"charter": charter, "reason": "The central committee covers both sites"}
    await ok(alex.put(f"{TRIAL}/charter", json=body))


async def merge_a1(api: Api, demo: dict[str, DemoPerson]) -> None:
    sam, ivy = await api("sam"), await api("ivy")
    a1 = await ok(sam.get(f"{TRIAL}/amendments/A-1"))
    signing = {
        "meaning": "approval",
        "content_hash": a1["content_hash"],
        "password": demo["sam"].password,
    }
    await ok(sam.post(f"{TRIAL}/amendments/A-1/signatures", json=signing))
    disposition = {"disposition": "adopted", "reason": "Taxi vouchers are added to 11.3"}
    await ok(ivy.post(f"{TRIAL}/comments/amendment/A-1/C-1/disposition", json=disposition))
    await ok(sam.post(f"{TRIAL}/amendments/A-1/merge", json={"effective_date": "2030-01-01"}))


def site_row(page: Page, name: str) -> Locator:
    return page.locator("table.sites tbody tr").filter(has=page.get_by_role("rowheader", name=name))


async def test_the_overview_shows_each_sites_version_and_what_awaits_it(
    sign_in: SignIn, api: Api, demo: dict[str, DemoPerson]
) -> None:
    await name_the_committees(api)

    elena = await sign_in("elena")
    await elena.goto(f"/#/t/{DEMO_TRIAL}")
    marys = site_row(elena, ST_MARYS)
    await expect(marys).to_contain_text("not activated")
    await expect(marys).to_contain_text(
        "Version 1: awaiting approval by Central Research Ethics Committee (ethics committee)"
    )
    form = elena.get_by_role("form", name=f"Record approval of version 1 for {ST_MARYS}")
    await form.get_by_label("Reference (letter, minutes)").fill("CREC letter 2026/031")
    await form.get_by_role("button", name="Record approval").click()
    await expect(marys).to_contain_text("Version 1: approved, awaiting activation")
    # Elena reviews; activating is for the site's investigator or the sponsor's lead.
    await expect(
        marys.get_by_role("button", name=f"Activate version 1 at {ST_MARYS}")
    ).to_have_count(0)

    ivy = await sign_in("ivy")
    await ivy.goto(f"/#/t/{DEMO_TRIAL}")
    marys, river = site_row(ivy, ST_MARYS), site_row(ivy, RIVERSIDE)
    await expect(river).to_contain_text("Version 1: awaiting approval by Central Research")
    # An investigator records no committee's approval.
    await expect(
        ivy.get_by_role("form", name=f"Record approval of version 1 for {RIVERSIDE}")
    ).to_have_count(0)
    await marys.get_by_role("button", name=f"Activate version 1 at {ST_MARYS}").click()
    await expect(marys).to_contain_text("Version 1, since ")
    await expect(marys).to_contain_text("(Dr Ivy Chen)")
    await expect(marys).to_contain_text("nothing: the latest version is in force")
    await expect(river).to_contain_text("not activated")

    # A-1 is merged as version 2: St Mary's runs version 1 until its committee approves.
    await merge_a1(api, demo)
    await expect(marys).to_contain_text("Version 2 (A-1): awaiting approval by Central Research")
    await screenshot(ivy, "site-activation-overview")

    await ivy.goto(f"/#/t/{DEMO_TRIAL}/amendments/A-1")
    at_sites = ivy.get_by_role("region", name="Version 2 at the sites")
    await expect(at_sites.locator('dd[data-site="st-marys"]')).to_have_text(
        "Version 2 (A-1): awaiting approval by Central Research Ethics Committee (ethics committee)"
    )
    await expect(at_sites.locator('dd[data-site="riverside"]')).to_contain_text(
        "Version 2 (A-1): awaiting approval"
    )
    await screenshot(ivy, "site-activation-amendment")
