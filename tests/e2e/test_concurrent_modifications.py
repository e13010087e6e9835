"""Where the charter lets two substantial amendments be under evaluation at once, each
amendment's page says so and links to the other."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.e2e.conftest import Api, SignIn, ok

TRIAL = "asthma-301"
SUBSTANTIAL = {
    "summary": "Exclude current vapers",
    "primary_reason": "New Safety Information Available",
    "safety_or_rights_impact": {"likely": True, "explanation": "Vapers' lung risk"},
    "data_reliability_impact": {"likely": False, "explanation": "Same measures"},
    "enrollment": {"value": 35, "unit": "percent"},
}


async def test_amendments_evaluated_concurrently_link_to_each_other(
    sign_in: SignIn, api: Api
) -> None:
    alex, ivy = await api("alex"), await api("ivy")
    trial = f"/api/trials/{TRIAL}"
    charter: dict[str, Any] = (await ok(alex.get(trial)))["charter"]
    await ok(
        alex.put(
            f"{trial}/charter",
            json={
                "charter": {**charter, "concurrent_substantial_modifications": True},
                "reason": "The regulator evaluates modifications in parallel",
            },
        )
    )
    for amendment_id, number, heading in (
        ("A-2", "5.3", "Exclusion Criteria"),
        ("A-3", "1.3", "Schedule of Activities"),
    ):
        opening = {"amendment_id": amendment_id, "base_version": 1, "details": SUBSTANTIAL}
        await ok(ivy.post(f"{trial}/amendments", json=opening))
        change = {
            "number": number,
            "heading": heading,
            "text": f"As {amendment_id} says",
            "description": f"Change {number}",
            "rationale": "Safety",
        }
        path = f"{trial}/amendments/{amendment_id}"
        await ok(ivy.post(f"{path}/changes", json={"change": change}))
        await ok(ivy.post(f"{path}/submission", json={}))

    sam = await sign_in("sam")
    await sam.goto(f"/#/t/{TRIAL}/amendments/A-3")
    note = sam.locator("p.concurrent")
    await expect(note).to_have_text(
        "Substantial modification under evaluation concurrently with A-2."
    )
    await note.get_by_role("link", name="A-2").click()
    await expect(sam.get_by_role("heading", name="Amendment A-2")).to_be_visible()
    await expect(sam.locator("p.concurrent")).to_have_text(
        "Substantial modification under evaluation concurrently with A-3."
    )
    await sam.goto(f"/#/t/{TRIAL}/amendments/A-1")
    await expect(sam.get_by_role("heading", name="Amendment A-1")).to_be_visible()
    await expect(sam.locator("p.concurrent")).to_have_count(0)
