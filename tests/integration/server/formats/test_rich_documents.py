"""Rich section text in the protocol documents, over HTTP: the Schedule of Activities
(M11 1.3) written as a markup table is a real table in the amendment's PDF and DOCX, clean
and tracked, with its bold text and sub-heading."""

from __future__ import annotations

import io
from typing import Any

import docx
import httpx
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from server.demo import PROTOCOL_TEXTS, DemoPerson
from tests.integration.server.conftest import Api

SCHEDULE = (
    "### Treatment period\n\n"
    "| Visit | Week | Procedures |\n"
    "| --- | --- | --- |\n"
    "| Screening | -2 | **consent**, spirometry |\n"
    "| Randomisation | 0 | first dose |\n"
    "| End of treatment | 52 | spirometry, *blood sample* |"
)


def inserted_text(cell: Any) -> str:
    """A cell's text as inserted (python-docx's ``text`` leaves revisions out)."""
    return "".join(t.text or "" for t in cell._tc.iter(qn("w:t")))


@pytest.fixture
def url(sqlite_url: str) -> str:
    """Documents read the states every other read does: one backend is enough."""
    return sqlite_url


async def test_a_schedule_of_activities_table_is_a_table_in_both_documents(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    opening = {
        "amendment_id": "A-2",
        "base_version": 1,
        "details": {
            "summary": "The schedule as a table",
            "primary_reason": "Investigator/Site Feedback",
            "secondary_reasons": [],
            "safety_or_rights_impact": {"likely": False, "explanation": "Same visits"},
            "data_reliability_impact": {"likely": False, "explanation": "Same data"},
            "enrollment": {"value": 10, "unit": "percent"},
            "scope": {"countries": [], "sites": []},
        },
    }
    opened = await app_client.post(f"{trial}/amendments", json=opening, headers=ivy)
    assert opened.status_code == 201, opened.text
    change = {
        "number": "1.3",
        "heading": "Schedule of Activities",
        "text": SCHEDULE,
        "description": "The schedule as a table",
        "rationale": "Sites read it at a glance",
    }
    proposed = await app_client.post(
        f"{trial}/amendments/A-2/changes", json={"change": change}, headers=ivy
    )
    assert proposed.status_code == 201, proposed.text
    aud = await as_user("aud")

    async def get(path: str) -> bytes:
        response = await app_client.get(f"{trial}/amendments/A-2/{path}", headers=aud)
        assert response.status_code == 200, response.text
        return response.content

    clean = docx.Document(io.BytesIO(await get("document.docx")))
    [schedule] = [t for t in clean.tables if t.rows[0].cells[0].text == "Visit"]
    assert [[c.text for c in row.cells] for row in schedule.rows] == [
        ["Visit", "Week", "Procedures"],
        ["Screening", "-2", "consent, spirometry"],
        ["Randomisation", "0", "first dose"],
        ["End of treatment", "52", "spirometry, blood sample"],
    ]
    assert list(schedule.rows[0]._tr.iter(qn("w:tblHeader")))
    [consent] = [r for r in schedule.rows[1].cells[2].paragraphs[0].runs if r.text == "consent"]
    assert consent.bold
    styles = {p.text: p.style.name for p in clean.paragraphs if p.style is not None}
    assert styles["Treatment period"] == "Subheading 3"

    tracked = docx.Document(io.BytesIO(await get("document.docx?copy=tracked")))
    [schedule] = [t for t in tracked.tables if inserted_text(t.rows[0].cells[0]) == "Visit"]
    # the old schedule was a paragraph: the whole table is inserted, row by row
    assert all(row._tr.trPr.find(qn("w:ins")) is not None for row in schedule.rows)
    deleted = "".join(node.text for node in tracked.element.body.iter(qn("w:delText")))
    for old_line in PROTOCOL_TEXTS["1.3"].split("\n"):
        assert old_line in deleted

    pdf = PdfReader(io.BytesIO(await get("document.pdf")))
    positions: dict[str, tuple[float, float]] = {}

    def seen(text: str, cm: list[float], tm: list[float], font: object, size: object) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        positions.setdefault(text.strip(), (round(x), round(y)))

    for page in pdf.pages:
        page.extract_text(visitor_text=seen)
    header = [positions[t] for t in ("Visit", "Week", "Procedures")]
    screening = [positions[t] for t in ("Screening", "-2")]
    assert len({y for _, y in header}) == 1  # one row
    assert [x for x, _ in screening] == [x for x, _ in header[:2]]  # the header's columns
    assert screening[0][1] < header[0][1]  # below it
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    assert "Treatment period Visit Week Procedures Screening -2 consent, spirometry" in text
