"""Beside each change an amendment proposes, the API answers ``tracked_html``: the change
marked against the section as the amendment's base version has it (``tracked_against``),
not against the protocol as it is now, written as XHTML with insertions in ``ins`` and
deletions in ``del``. Rebasing moves it onto the new version; a rebase whose text is the
three-way merge of a proposal holding a table keeps the table."""

from __future__ import annotations

from typing import Any

import httpx

from domain.text_merge import merge_three_ways
from server.demo import PROTOCOL_TEXTS, DemoPerson
from server.formats.content import Table, blocks, plain
from tests.integration.formats.test_protocol_documents import merge_a1
from tests.integration.server.conftest import Api

DIV = '<div xmlns="http://www.w3.org/1999/xhtml">'
SMOKING = (
    "| Smoking status | Eligible |\n| --- | --- |\n| Never smoked | **yes** |\n"
    "| Stopped 12 months ago | yes |"
)
SMOKING_XHTML = (
    '<table><thead><tr class="inserted"><th><ins>Smoking status</ins></th>'
    "<th><ins>Eligible</ins></th></tr></thead><tbody>"
    '<tr class="inserted"><td><ins>Never smoked</ins></td>'
    "<td><ins><strong>yes</strong></ins></td></tr>"
    '<tr class="inserted"><td><ins>Stopped 12 months ago</ins></td><td><ins>yes</ins></td></tr>'
    "</tbody></table>"
)
INCLUSION = PROTOCOL_TEXTS["5.2"].split("\n")
DETAILS = {
    "summary": "State who may smoke",
    "primary_reason": "New Safety Information Available",
    "safety_or_rights_impact": {"likely": True, "explanation": "Smokers' risk"},
    "data_reliability_impact": {"likely": False, "explanation": "Same measures"},
    "enrollment": {"value": 35, "unit": "percent"},
}


def change(number: str, heading: str, text: str | None) -> dict[str, Any]:
    return {
        "number": number,
        "heading": heading,
        "text": text,
        "description": "Smoking status",
        "rationale": "Safety of the study drug in smokers is unknown",
    }


async def open_a2(
    client: httpx.AsyncClient, trial: str, ivy: dict[str, str], *changes: Any
) -> None:
    """Ivy opens A-2 on version 1 and proposes ``changes``."""
    opening = {"amendment_id": "A-2", "base_version": 1, "details": DETAILS}
    opened = await client.post(f"{trial}/amendments", json=opening, headers=ivy)
    assert opened.status_code == 201, opened.text
    for proposed in changes:
        answer = await client.post(
            f"{trial}/amendments/A-2/changes", json={"change": proposed}, headers=ivy
        )
        assert answer.status_code == 201, answer.text


async def test_a_change_is_tracked_against_the_base_version_even_after_another_merged(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    """A-2 (on version 1) adds a bold line to 5.2, adds 5.2.1 with a table and removes
    1.1.2; A-1 (65 to 75 in 5.2) then becomes version 2. A-2's 5.2 still reads 65, with
    only A-2's own line inserted."""
    ivy = await as_user("ivy")
    await open_a2(
        app_client,
        trial,
        ivy,
        change("5.2", "Inclusion Criteria", PROTOCOL_TEXTS["5.2"] + "\n**Non-smokers** only"),
        change("5.2.1", "Smoking", SMOKING),
        change("1.1.2", "Overall Design", None),
    )
    a2 = f"{trial}/amendments/A-2"
    before = (await app_client.get(a2, headers=ivy)).json()["changes"]
    await merge_a1(app_client, trial, demo, as_user)
    protocol = (await app_client.get(f"{trial}/protocol", headers=ivy)).json()
    assert protocol["current_version"] == 2
    changes = (await app_client.get(a2, headers=await as_user("sam"))).json()["changes"]

    assert changes == before
    assert {c["tracked_against"]["version"] for c in changes.values()} == {1}
    inclusion = changes["5.2"]
    assert inclusion["tracked_html"] == (
        f"{DIV}<p>{'<br/>'.join(INCLUSION)}<ins><br/><strong>Non-smokers</strong> only</ins></p>"
        "</div>"
    )
    assert "65" in inclusion["tracked_html"]
    assert "75" not in inclusion["tracked_html"]
    assert inclusion["text"] == PROTOCOL_TEXTS["5.2"] + "\n**Non-smokers** only"  # kept
    assert "<strong>Non-smokers</strong> only" in inclusion["html"]
    assert changes["5.2.1"]["tracked_html"] == f"{DIV}{SMOKING_XHTML}</div>"  # all inserted
    removed = changes["1.1.2"]
    assert removed["html"] is None
    assert removed["tracked_html"] == f"{DIV}<p><del>{PROTOCOL_TEXTS['1.1.2']}</del></p></div>"


async def test_a_three_way_rebase_of_a_proposal_holding_a_table_keeps_the_table(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    """A-2 (on version 1) appends a table to 5.2; A-1 changes 5.2's first line as version
    2, so A-2 is in conflict. Merged line by line (a table row is a line), the rebased
    text has both: version 2's line and every row of the table, which reads as a table
    and is all that is inserted against version 2."""
    ivy, omar = await as_user("ivy"), await as_user("omar")
    proposal = change("5.2", "Inclusion Criteria", PROTOCOL_TEXTS["5.2"] + "\n\n" + SMOKING)
    await open_a2(app_client, trial, ivy, proposal)
    await merge_a1(app_client, trial, demo, as_user)
    a2 = f"{trial}/amendments/A-2"
    assert (await app_client.get(a2, headers=ivy)).json()["conflict"]["sections"] == ["5.2"]
    version_2 = PROTOCOL_TEXTS["5.2"].replace("18 to 65", "18 to 75")

    merged = merge_three_ways(PROTOCOL_TEXTS["5.2"], proposal["text"], version_2)
    assert merged == version_2 + "\n\n" + SMOKING
    *_, table = blocks(merged)
    assert isinstance(table, Table)
    assert table.rows[1] == (plain("Stopped 12 months ago"), plain("yes"))
    resolution = {"number": "5.2", "change": {**proposal, "text": merged}}
    rebase = {"onto_version": 2, "resolutions": [resolution], "note": "merged line by line"}
    rebased = await app_client.post(f"{a2}/rebase", json=rebase, headers=omar)
    assert rebased.status_code == 200, rebased.text

    amendment = (await app_client.get(a2, headers=ivy)).json()
    assert amendment["base_version"] == 2
    assert amendment["conflict"] is None
    inclusion = amendment["changes"]["5.2"]
    assert inclusion["text"] == merged
    assert inclusion["tracked_against"] == {"version": 2}
    assert inclusion["tracked_html"] == (
        f"{DIV}<p>{'<br/>'.join(version_2.split(chr(10)))}</p>{SMOKING_XHTML}</div>"
    )
