"""The protocol as a document: any published version, and an amendment's protocol clean or
tracked, as PDF and DOCX over HTTP and from the CLI; each read back as text (pypdf,
python-docx) for its sections, its M11 front matter, the version on every page, and the
tracked marks."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from domain import m11
from server.demo import PROTOCOL_TEXTS, DemoPerson
from server.formats.protocol_pdf import DELETED_COLOUR, INSERTED_COLOUR
from tests.integration.server.conftest import Api, Cli

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
"""A revision's time in the document's metadata (w:date)."""
READ_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
"""A time as people read it on the page (issue 21's one format)."""

A2_DETAILS = {
    "summary": "Tighten the exclusions and state the age limits",
    "primary_reason": "New Safety Information Available",
    "secondary_reasons": ["Investigator/Site Feedback"],
    "safety_or_rights_impact": {"likely": True, "explanation": "Fewer participants at risk"},
    "data_reliability_impact": {"likely": False, "explanation": "Same endpoints"},
    "enrollment": {"value": 40, "unit": "percent"},
    "scope": {"countries": ["Germany"], "sites": []},
}
EXCLUSIONS = (
    "Current smoker or more than 10 pack-years\n"
    "Another investigational product within 90 days\n"
    "Oral corticosteroids within 4 weeks of screening\n"
    "Lung surgery in the past 12 months"
)
AGE_LIMITS = "Participants must be:\n\n- at least 18 years old\n- at most 75 years old"
A2_CHANGES = (
    {
        "number": "5.3",
        "heading": "Exclusion Criteria",
        "text": EXCLUSIONS,
        "description": "Exclude recent lung surgery; widen the washout",
        "rationale": "New safety data",
    },
    {
        "number": "5.2.1",
        "heading": "Age Limits",
        "text": AGE_LIMITS,
        "description": "State the age limits as a list",
        "rationale": "Sites asked for it",
    },
    {
        "number": "4.1.1",
        "heading": "Stakeholder Input into Design",
        "text": None,
        "description": "Drop the empty subsection",
        "rationale": "Nothing to say there",
    },
    {
        "number": "1.1.2",
        "heading": "Overall Design and Duration",
        "text": PROTOCOL_TEXTS["1.1.2"],
        "description": "Name the duration in the heading",
        "rationale": "Clarity",
    },
)


@pytest.fixture
def url(sqlite_url: str) -> str:
    """Documents read the states every other read does: one backend is enough."""
    return sqlite_url


# -- reading the files back -------------------------------------------------------------


def pdf_pages(body: bytes) -> list[str]:
    """Each page's text, whitespace collapsed."""
    return [
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(body)).pages
    ]


def _rgb(hex_colour: str) -> tuple[float, ...]:
    return tuple(round(int(hex_colour[i : i + 2], 16) / 255, 2) for i in (1, 3, 5))


def pdf_coloured(body: bytes) -> dict[tuple[float, ...], str]:
    """The text shown in each fill colour, in drawing order: each page's text operators
    (Tj, TJ) with the colour set before them. The words these tests look for are ASCII,
    which both the embedded font's subset and the fallback Helvetica encode as themselves."""
    found: dict[tuple[float, ...], list[str]] = {}
    colour: tuple[float, ...] = (0.0, 0.0, 0.0)

    def text_of(operand: Any) -> str:
        if isinstance(operand, list):
            return "".join(text_of(part) for part in operand if not isinstance(part, int | float))
        raw = getattr(operand, "original_bytes", None) or bytes(operand)
        return str(raw.decode("latin-1"))

    def before(operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        nonlocal colour
        if operator == b"rg":
            colour = tuple(round(float(value), 2) for value in operands)
        elif operator in (b"Tj", b"TJ"):
            found.setdefault(colour, []).append(text_of(operands[0]))

    for page in PdfReader(io.BytesIO(body)).pages:
        page.extract_text(visitor_operand_before=before)
    return {key: " ".join(" ".join(texts).split()) for key, texts in found.items()}


def docx_of(body: bytes) -> Any:
    return docx.Document(io.BytesIO(body))


def docx_text(document: Any) -> str:
    """The body's text as it reads with no revision applied: paragraphs and table cells."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return " ".join(" ".join(parts).split())


def revisions(within: Any, kind: str) -> Iterator[tuple[str, str, str]]:
    """Each ``w:ins`` or ``w:del`` in a document or paragraph: its text, author and date."""
    tag = "w:t" if kind == "ins" else "w:delText"
    root = within._p if hasattr(within, "_p") else within.element.body
    for element in root.iter(qn(f"w:{kind}")):
        text = "".join(node.text or "" for node in element.iter(qn(tag)))
        yield text, element.get(qn("w:author")), element.get(qn("w:date"))


def side(paragraph: Any, *, accepted: bool) -> str:
    """A paragraph's text with every revision accepted (the new text) or rejected (the
    old): insertions kept or dropped, deletions dropped or kept; a line break is a newline."""
    keep, drop = (qn("w:ins"), qn("w:del")) if accepted else (qn("w:del"), qn("w:ins"))
    text = []
    for node in paragraph._p.iter(qn("w:t"), qn("w:delText"), qn("w:br")):
        ancestors = {a.tag for a in node.iterancestors()}
        if drop in ancestors:
            continue
        if node.tag == qn("w:delText") and keep not in ancestors:
            continue
        text.append("\n" if node.tag == qn("w:br") else node.text or "")
    return "".join(text)


def section_paragraphs(document: Any, title: str) -> list[Any]:
    """The paragraphs of the section headed ``title`` (either side of a revision), up to
    the next heading; a tracked copy's note under the heading left out."""
    found, inside = [], False
    for paragraph in document.paragraphs:
        if paragraph.style.name.startswith("Heading"):
            if inside:
                break
            inside = (
                side(paragraph, accepted=True) == title or side(paragraph, accepted=False) == title
            )
            continue
        if inside and paragraph.style.name != "Change Note":
            found.append(paragraph)
    return found


# -- the scenario ----------------------------------------------------------------------------


async def get_file(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> bytes:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


async def open_a2(client: httpx.AsyncClient, trial: str, ivy: dict[str, str]) -> None:
    """Ivy opens A-2 on version 1: a changed 5.3 (a line deleted, a word changed, a line
    inserted), a new 5.2.1 with a list, 4.1.1 removed, 1.1.2's heading renamed."""
    opening = {"amendment_id": "A-2", "base_version": 1, "details": A2_DETAILS}
    opened = await client.post(f"{trial}/amendments", json=opening, headers=ivy)
    assert opened.status_code == 201, opened.text
    for change in A2_CHANGES:
        proposed = await client.post(
            f"{trial}/amendments/A-2/changes", json={"change": change}, headers=ivy
        )
        assert proposed.status_code == 201, proposed.text


async def merge_a1(
    client: httpx.AsyncClient, trial: str, demo: dict[str, DemoPerson], as_user: Api
) -> None:
    """Samira signs A-1's approval, Ivy dispositions Pat's comment, Samira merges it:
    version 2."""
    sam = await as_user("sam")
    a1 = (await client.get(f"{trial}/amendments/A-1", headers=sam)).json()
    signing = {
        "meaning": "approval",
        "content_hash": a1["content_hash"],
        "password": demo["sam"].password,
    }
    signed = await client.post(f"{trial}/amendments/A-1/signatures", json=signing, headers=sam)
    assert signed.status_code == 201, signed.text
    disposition = {"disposition": "adopted", "reason": "Taxi vouchers are added to 11.3"}
    told = await client.post(
        f"{trial}/comments/amendment/A-1/C-1/disposition",
        json=disposition,
        headers=await as_user("ivy"),
    )
    assert told.status_code == 200, told.text
    merge = {"effective_date": "2030-01-01"}
    merged = await client.post(f"{trial}/amendments/A-1/merge", json=merge, headers=sam)
    assert merged.status_code == 200, merged.text


# -- a published version ---------------------------------------------------------------------


async def test_a_version_as_pdf_holds_every_section_with_the_version_on_every_page(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    aud = await as_user("aud")
    protocol = (await app_client.get(f"{trial}/protocol", headers=aud)).json()
    response = await app_client.get(f"{trial}/protocol/versions/1/document.pdf", headers=aud)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == PDF
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="asthma-301-protocol-v1.pdf"'

    pages = pdf_pages(response.content)
    assert len(pages) > 3
    effective = protocol["versions"][0]["effective_date"]
    for number, page in enumerate(pages, start=1):
        assert f"asthma-301 · Protocol version 1 · effective {effective}" in page
        assert f"Page {number} of {len(pages)}" in page
    title_page = pages[0]
    assert protocol["title"] in title_page
    for field in (
        "Sponsor Protocol Identifier asthma-301",
        "Original Protocol Yes",
        "Version Number 1",
        f"Version Date {effective}",
        "Amendment Identifier Not applicable",
        "Sponsor Name Northwind Therapeutics",
        f"Content Hash {protocol['versions'][0]['content_hash'][:40]}",
    ):
        assert field in title_page
    assert READ_TIME.search(title_page)
    text = " ".join(pages)
    assert "Table of Contents" in text
    assert "Amendment Details" not in text  # the original protocol has no amendment
    body = text[text.index("Table of Contents") :]
    for section in protocol["sections"]:
        heading = section["heading"]
        title = (
            heading if section["number"] == m11.LAY_SUMMARY else f"{section['number']} {heading}"
        )
        assert " ".join(title.split()) in body, title
        for line in section["text"].splitlines():
            assert " ".join(line.split()) in body, line
    # in M11 order: 5.3's revised text after 5.2's, the lay summary last
    assert body.rindex("Signed informed consent") < body.rindex("Oral corticosteroids")
    assert body.rindex("Oral corticosteroids") < body.rindex("We are testing whether")


async def test_a_version_as_docx_holds_every_section_in_heading_styles(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    pat = await as_user("pat")
    protocol = (await app_client.get(f"{trial}/protocol", headers=pat)).json()
    response = await app_client.get(f"{trial}/protocol/versions/1/document.docx", headers=pat)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="asthma-301-protocol-v1.docx"'
    document = docx_of(response.content)

    [page_setup] = document.sections  # one section: its header and footer are on every page
    effective = protocol["versions"][0]["effective_date"]
    header = page_setup.header.paragraphs[0].text
    assert header == f"asthma-301 · Protocol version 1 · effective {effective}"
    footer = page_setup.footer.paragraphs[0]._p
    fields = [field.get(qn("w:instr")).strip() for field in footer.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]
    assert document.core_properties.title == protocol["title"]

    text = docx_text(document)
    assert "Sponsor Protocol Identifier asthma-301" in text
    assert "Original Protocol Yes" in text
    [toc] = [node.text for node in document.element.body.iter(qn("w:instrText"))]
    assert toc.strip().startswith('TOC \\o "1-3"')
    headings = {
        p.text: p.style.name for p in document.paragraphs if p.style.name.startswith("Heading")
    }
    for section in protocol["sections"]:
        number, heading = section["number"], section["heading"]
        title = heading if number == m11.LAY_SUMMARY else f"{number} {heading}"
        assert headings[title] == f"Heading {m11.level(number)}"
        if section["text"]:
            [paragraph] = section_paragraphs(document, title)
            assert paragraph.text == section["text"]  # line breaks kept
    assert not list(revisions(document, "ins"))
    assert not list(revisions(document, "del"))


async def test_a_version_from_an_amendment_carries_its_details_and_summary_of_changes(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    await merge_a1(app_client, trial, demo, as_user)
    aud = await as_user("aud")
    a1 = (await app_client.get(f"{trial}/amendments/A-1", headers=aud)).json()
    [signature] = a1["signatures"]
    signed_at = signature["signed_at"][:19].replace("T", " ") + " UTC"

    pdf = pdf_pages(await get_file(app_client, f"{trial}/protocol/versions/2/document.pdf", aud))
    document = docx_of(
        await get_file(app_client, f"{trial}/protocol/versions/2/document.docx", aud)
    )
    for text in (" ".join(pdf), docx_text(document)):
        for expected in (
            "Original Protocol No",
            "Version Number 2",
            "Version Date 2030-01-01",
            "Amendment Identifier A-1",
            "Amendment Scope Global",
            f"Signature (approval) Samira Reyes, {signed_at}",
            "Protocol Amendment",
            "Amendment Details",
            "Enrollment at the Time of the Amendment 35%",
            "Primary Reason for Amendment Recruitment Difficulty",
            "Secondary Reason(s) for Amendment Investigator/Site Feedback",
            "Amendment Summary Widen the upper age limit to 75 years",
            "safety or rights of the trial participants? No. Same procedures and safety",
            "Substantial Modification No",
            "Overview of Changes in the Current Amendment",
            "Description of Change Brief Rationale Section # and Name",
            "Raise the upper age limit from 65 to 75 years",
            "Recruitment is slow; older adults carry much of the asthma burden",
            "5.2 Inclusion Criteria",
            "Age 18 to 75 years",
        ):
            assert expected in text, expected
    assert all("Protocol version 2 · effective 2030-01-01" in page for page in pdf)
    assert "Protocol version 2" in document.sections[0].header.paragraphs[0].text

    # The amendment's own copies now: clean is version 2, tracked still against version 1.
    clean = pdf_pages(await get_file(app_client, f"{trial}/amendments/A-1/document.pdf", aud))
    assert "Protocol version 2 (amendment A-1) · clean copy" in clean[0]
    tracked = await get_file(app_client, f"{trial}/amendments/A-1/document.docx?copy=tracked", aud)
    marks = docx_of(tracked)
    assert [t for t, _, _ in revisions(marks, "del")] == ["65"]
    assert [t for t, _, _ in revisions(marks, "ins")] == ["75"]


# -- an amendment, clean and tracked ------------------------------------------------------------


async def test_the_tracked_pdf_marks_insertions_and_deletions_against_the_base_version(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    await open_a2(app_client, trial, ivy)
    elena = await as_user("elena")
    response = await app_client.get(
        f"{trial}/amendments/A-2/document.pdf", params={"copy": "tracked"}, headers=elena
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        'attachment; filename="asthma-301-A-2-tracked.pdf"'
    )
    pages = pdf_pages(response.content)
    head = "asthma-301 · Amendment A-2 (draft) to version 1 · tracked changes against version 1"
    assert all(head in page for page in pages)
    text = " ".join(pages)
    assert "inserted text is underlined in blue; deleted text is struck through in red" in text
    assert "Amendment Scope Not global. Countries: Germany" in text
    assert re.search(
        r"5\.3 Exclusion Criteria Section changed: proposed by Dr Ivy Chen, " + READ_TIME.pattern,
        text,
    )
    assert "5.2.1 Age Limits Section added: proposed by Dr Ivy Chen" in text
    assert "4.1.1 Stakeholder Input into Design Section removed: proposed by Dr Ivy Chen" in text

    coloured = pdf_coloured(response.content)
    inserted, deleted = coloured[_rgb(INSERTED_COLOUR)], coloured[_rgb(DELETED_COLOUR)]
    for words in (
        "90",
        "Lung surgery in the past 12 months",
        "Age Limits",
        "at least 18 years old",
        "at most 75 years old",
        "Participants must be:",
        "and Duration",
    ):
        assert words in inserted, words
    for words in ("30", "Pregnancy or breastfeeding", "Stakeholder Input into Design"):
        assert words in deleted, words
    for kept in ("Current smoker", "Oral corticosteroids", "Another investigational product"):
        assert kept not in inserted + deleted
    assert "Diagnosis of asthma" not in inserted + deleted  # 5.2 is not this amendment's

    clean = pdf_pages(await get_file(app_client, f"{trial}/amendments/A-2/document.pdf", elena))
    clean_text = " ".join(clean)
    assert "asthma-301 · Amendment A-2 (draft) to version 1 · clean copy" in clean[-1]
    assert "Another investigational product within 90 days" in clean_text
    assert "Pregnancy or breastfeeding" not in clean_text
    assert "4.1.1 Stakeholder Input" not in clean_text[clean_text.index("Table of Contents") :]
    assert "1.1.2 Overall Design and Duration" in clean_text
    assert (
        "5.2.1 Age Limits Participants must be: • at least 18 years old • at most 75 years old"
        in clean_text
    )
    assert "Section changed" not in clean_text


async def test_the_tracked_docx_carries_word_revisions_that_accept_into_the_clean_text(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    await open_a2(app_client, trial, ivy)
    sam = await as_user("sam")
    body = await get_file(app_client, f"{trial}/amendments/A-2/document.docx?copy=tracked", sam)
    document = docx_of(body)
    assert "tracked changes against version 1" in document.sections[0].header.paragraphs[0].text

    inserted = list(revisions(document, "ins"))
    deleted = list(revisions(document, "del"))
    assert {(author, bool(UTC_TIME.fullmatch(date))) for _, author, date in inserted + deleted} == {
        ("Dr Ivy Chen", True)
    }
    text = docx_text(document)
    assert "Changes against version 1 are Word revisions" in text
    assert re.search(r"Section changed: proposed by Dr Ivy Chen, " + READ_TIME.pattern, text)
    insertions = {text for text, _, _ in inserted}
    deletions = {text for text, _, _ in deleted}
    assert {
        "90",
        "Lung surgery in the past 12 months",
        "Age Limits",
        "at least 18 years old",
    } <= insertions
    assert {"30", "Pregnancy or breastfeeding", "Stakeholder Input into Design"} <= deletions
    ids = [
        element.get(qn("w:id"))
        for tag in ("w:ins", "w:del")
        for element in document.element.body.iter(qn(tag))
    ]
    assert len(ids) == len(set(ids))

    # Accepting every revision gives the amended text, rejecting them the base version's.
    [exclusions] = section_paragraphs(document, "5.3 Exclusion Criteria")
    assert side(exclusions, accepted=True) == EXCLUSIONS
    assert (
        side(exclusions, accepted=False)
        == PROTOCOL_TEXTS["5.3"] + "\nOral corticosteroids within 4 weeks of screening"
    )
    age = section_paragraphs(document, "5.2.1 Age Limits")
    assert [side(p, accepted=True) for p in age] == [
        "Participants must be:",
        "at least 18 years old",
        "at most 75 years old",
    ]
    assert [p.style.name for p in age] == ["Normal", "List Bullet", "List Bullet"]
    assert [side(p, accepted=False) for p in age] == ["", "", ""]
    for paragraph in age:  # wholly inserted: the paragraph mark too
        mark = paragraph._p.pPr.find(qn("w:rPr"))
        assert mark is not None
        assert mark.find(qn("w:ins")) is not None
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    [removed] = [
        p for p in headings if side(p, accepted=False) == "4.1.1 Stakeholder Input into Design"
    ]
    assert side(removed, accepted=True) == ""
    [renamed] = [
        p for p in headings if side(p, accepted=True) == "1.1.2 Overall Design and Duration"
    ]
    assert side(renamed, accepted=False) == "1.1.2 Overall Design"

    clean = docx_of(await get_file(app_client, f"{trial}/amendments/A-2/document.docx", sam))
    assert not list(revisions(clean, "ins"))
    assert not list(revisions(clean, "del"))
    [exclusions] = section_paragraphs(clean, "5.3 Exclusion Criteria")
    assert exclusions.text == EXCLUSIONS
    titles = [p.text for p in clean.paragraphs if p.style.name.startswith("Heading")]
    assert "4.1.1 Stakeholder Input into Design" not in titles
    assert "1.1.2 Overall Design and Duration" in titles


async def test_unknown_versions_and_amendments_are_404_and_a_bad_copy_422(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    aud = await as_user("aud")
    for path in (
        "protocol/versions/2/document.pdf",
        "protocol/versions/0/document.docx",
        "protocol/versions/v1/document.pdf",
        "protocol/versions/99999999999999999999/document.pdf",
        "amendments/A-9/document.pdf",
        "amendments/A-9/document.docx?copy=tracked",
    ):
        response = await app_client.get(f"{trial}/{path}", headers=aud)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/not-found")
    bad = await app_client.get(f"{trial}/amendments/A-1/document.pdf?copy=sideways", headers=aud)
    assert bad.status_code == 422
    assert "clean or tracked" in bad.json()["detail"]
    stranger = await app_client.get(
        "/api/trials/nowhere/protocol/versions/1/document.pdf", headers=aud
    )
    assert stranger.status_code == 404


# -- the CLI -----------------------------------------------------------------------------------


async def test_the_cli_exports_versions_and_amendments_as_the_api_does(
    demo: dict[str, DemoPerson], url: str, tmp_path: Path, concord: Cli
) -> None:
    def export(*more: str) -> list[str]:
        return ["--db", url, "export", "--trial", "asthma-301", *more]

    current = tmp_path / "current.pdf"
    code, printed = await concord(*export("--format", "protocol-pdf", "--out", str(current)))
    assert code == 0, printed
    pages = pdf_pages(await asyncio.to_thread(current.read_bytes))
    assert all("asthma-301 · Protocol version 1" in page for page in pages)

    tracked = tmp_path / "a1.docx"
    argv = export("--format", "protocol-docx", "--amendment", "A-1", "--copy", "tracked")
    assert (await concord(*argv, "--out", str(tracked)))[0] == 0
    document = docx_of(await asyncio.to_thread(tracked.read_bytes))
    assert [(t, a) for t, a, _ in revisions(document, "del")] == [("65", "Dr Ivy Chen")]
    assert [(t, a) for t, a, _ in revisions(document, "ins")] == [("75", "Dr Ivy Chen")]

    first = tmp_path / "v1.docx"
    argv = export("--format", "protocol-docx", "--version", "1", "--out", str(first))
    assert (await concord(*argv))[0] == 0
    assert (
        "Protocol version 1"
        in docx_of(await asyncio.to_thread(first.read_bytes)).sections[0].header.paragraphs[0].text
    )

    missing = tmp_path / "v7.pdf"
    argv = export("--format", "protocol-pdf", "--version", "7", "--out", str(missing))
    assert (await concord(*argv))[0] == 2
    assert not missing.exists()
    with pytest.raises(SystemExit) as refused:
        await concord(*export("--format", "protocol-pdf", "--copy", "tracked", "--out", "x.pdf"))
    assert refused.value.code == 2
    with pytest.raises(SystemExit):
        await concord(*export("--format", "csv", "--version", "1", "--out", "x.csv"))


async def test_a_tracked_copy_marks_against_its_base_version_not_the_protocol_now(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    """A-2, opened on version 1, changes 5.3 and adds a line to 5.2; once A-1 (65 to 75 in
    5.2) is version 2, A-2's tracked copy still marks only its own changes against version
    1. Omar rebases 5.2 onto version 2: the copy is then against version 2, and 5.2's
    revisions are his while 5.3's stay Ivy's. A change proposed and retracted leaves none."""
    ivy, omar = await as_user("ivy"), await as_user("omar")
    smokers = "Non-smokers, or former smokers who stopped at least 12 months ago"
    opening = {"amendment_id": "A-2", "base_version": 1, "details": A2_DETAILS}
    assert (await app_client.post(f"{trial}/amendments", json=opening, headers=ivy)).is_success
    changes = [
        A2_CHANGES[0],
        {
            "number": "5.2",
            "heading": "Inclusion Criteria",
            "text": PROTOCOL_TEXTS["5.2"] + "\n" + smokers,
            "description": "Smoking status",
            "rationale": "Safety of the study drug in smokers is unknown",
        },
        {**A2_CHANGES[0], "number": "5.4", "heading": "Contraception", "text": "Retracted."},
    ]
    for change in changes:
        proposed = await app_client.post(
            f"{trial}/amendments/A-2/changes", json={"change": change}, headers=ivy
        )
        assert proposed.status_code == 201, proposed.text
    retracted = await app_client.delete(f"{trial}/amendments/A-2/changes/5.4", headers=ivy)
    assert retracted.status_code == 200, retracted.text
    await merge_a1(app_client, trial, demo, as_user)
    path = f"{trial}/amendments/A-2/document.docx?copy=tracked"

    before = docx_of(await get_file(app_client, path, ivy))
    assert "to version 1 · tracked changes against version 1" in (
        before.sections[0].header.paragraphs[0].text
    )
    [inclusion] = section_paragraphs(before, "5.2 Inclusion Criteria")
    assert side(inclusion, accepted=False) == PROTOCOL_TEXTS["5.2"]  # version 1's, not 2's
    assert side(inclusion, accepted=True) == PROTOCOL_TEXTS["5.2"] + "\n" + smokers
    assert [t for t, _, _ in revisions(before, "del") if "65" in t or "75" in t] == []
    assert section_paragraphs(before, "5.4 Contraception") == []
    assert "Retracted." not in docx_text(before)

    resolution = {
        "number": "5.2",
        "change": {
            **changes[1],
            "text": PROTOCOL_TEXTS["5.2"].replace("65", "75") + "\n" + smokers,
        },
    }
    rebase = {"onto_version": 2, "resolutions": [resolution], "note": "onto version 2"}
    rebased = await app_client.post(f"{trial}/amendments/A-2/rebase", json=rebase, headers=omar)
    assert rebased.status_code == 200, rebased.text

    after = docx_of(await get_file(app_client, path, ivy))
    assert "to version 2 · tracked changes against version 2" in (
        after.sections[0].header.paragraphs[0].text
    )
    [inclusion] = section_paragraphs(after, "5.2 Inclusion Criteria")
    assert side(inclusion, accepted=False) == PROTOCOL_TEXTS["5.2"].replace("65", "75")
    authors = {
        title: {
            a
            for p in section_paragraphs(after, title)
            for tag in ("ins", "del")
            for _, a, _ in revisions(p, tag)
        }
        for title in ("5.2 Inclusion Criteria", "5.3 Exclusion Criteria")
    }
    assert authors == {
        "5.2 Inclusion Criteria": {"Dr Omar Haddad"},
        "5.3 Exclusion Criteria": {"Dr Ivy Chen"},
    }
