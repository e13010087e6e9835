"""The web shows a section's recorded text as rich text the server writes: beside each
``text`` (the markup) the API answers ``html``, the XHTML fragment the documents and USDM
use, with whatever was typed escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

import httpx

from server.demo import DRAFT_TRIAL, DemoPerson, load_draft_trial
from server.services import Services
from tests.integration.server.conftest import Api

PROTOCOL = f"/api/trials/{DRAFT_TRIAL}/protocol"
X = "{http://www.w3.org/1999/xhtml}"

TYPED = (
    "### Age\n\n"
    "**Adults** 40 to 80 <script>window.injected = 1</script> & *more*\n"
    "<img src=x onerror=alert(1)>\n\n"
    "| Visit | Day |\n| --- | --- |\n| V1 | 1 |"
)


def section(protocol: dict[str, Any], number: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in protocol["sections"] if s["number"] == number)
    return found


async def test_the_protocol_view_answers_each_section_as_escaped_xhtml_beside_its_markup(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await load_draft_trial(services, list(demo.values()))
    ivy = await as_user("ivy")
    revised = await app_client.put(
        f"{PROTOCOL}/sections/5.3",
        json={"base_revision": 1, "text": TYPED, "reason": "Formatting"},
        headers=ivy,
    )
    assert revised.status_code == 200, revised.text

    protocol = (await app_client.get(PROTOCOL, headers=await as_user("omar"))).json()
    exclusion = section(protocol, "5.3")
    assert exclusion["text"] == TYPED
    assert exclusion["html"] == (
        '<div xmlns="http://www.w3.org/1999/xhtml">'
        "<h5>Age</h5>"
        "<p><strong>Adults</strong> 40 to 80 &lt;script&gt;window.injected = 1&lt;/script&gt;"
        " &amp; <em>more</em><br/>&lt;img src=x onerror=alert(1)&gt;</p>"
        "<table><thead><tr><th>Visit</th><th>Day</th></tr></thead>"
        "<tbody><tr><td>V1</td><td>1</td></tr></tbody></table>"
        "</div>"
    )
    # What a browser's XML parser makes of it: no element but the writer's, no attribute.
    tree = ElementTree.fromstring(exclusion["html"])
    tags = {element.tag.removeprefix(X) for element in tree.iter()}
    assert tags == {"div", "h5", "p", "strong", "em", "br", "table", "thead", "tbody", "tr"} | {
        "th",
        "td",
    }
    assert all(not element.attrib for element in tree.iter())
    assert "<script>" in "".join(tree.itertext())

    inclusion = section(protocol, "5.2")
    assert inclusion["html"] == (
        '<div xmlns="http://www.w3.org/1999/xhtml">'
        "<p>Age 40 to 80 years<br/>Smoking history of 10 pack-years or more</p></div>"
    )
    assert section(protocol, "5.4")["html"] == '<div xmlns="http://www.w3.org/1999/xhtml"></div>'


async def test_an_amendments_proposed_text_comes_as_xhtml_too(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    amendment = (
        await app_client.get(f"{trial}/amendments/A-1", headers=await as_user("sam"))
    ).json()
    change = amendment["changes"]["5.2"]
    tree = ElementTree.fromstring(change["html"])
    assert "Age 18 to 75 years" in "".join(tree.itertext())
    assert change["text"].startswith("Age 18 to 75 years")
