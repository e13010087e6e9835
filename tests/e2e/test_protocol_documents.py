"""The protocol page offers each published version as a document, and an amendment's page
its clean and tracked copies: a reviewer downloads them."""

from __future__ import annotations

import io
from pathlib import Path

from playwright.async_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import SignIn, screenshot

TRIAL = "asthma-301"


def pdf_text(path: Path) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(path.read_bytes())).pages
    )


async def test_a_reviewer_downloads_a_version_and_an_amendments_tracked_copy(
    sign_in: SignIn, tmp_path: Path
) -> None:
    elena = await sign_in("elena")
    await elena.goto(f"/#/t/{TRIAL}/protocol/5.2")
    documents = elena.get_by_role("region", name="Documents")
    await expect(documents).to_contain_text("Version 1 (effective")
    await expect(documents.get_by_role("link", name="Version 1 as Word")).to_have_attribute(
        "href", f"/api/trials/{TRIAL}/protocol/versions/1/document.docx"
    )
    async with elena.expect_download() as version:
        await documents.get_by_role("link", name="Version 1 as PDF").click()
    download = await version.value
    assert download.suggested_filename == f"{TRIAL}-protocol-v1.pdf"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = pdf_text(saved)
    assert "asthma-301 · Protocol version 1" in text
    assert "5.2 Inclusion Criteria Age 18 to 65 years" in text
    await screenshot(elena, "protocol-documents")

    await elena.goto(f"/#/t/{TRIAL}/amendments/A-1")
    files = elena.get_by_role("region", name="Documents")
    await expect(files.get_by_role("link", name="Clean copy (Word)")).to_be_visible()
    tracked_name = "Tracked changes against version 1 (PDF)"
    async with elena.expect_download() as tracked:
        await files.get_by_role("link", name=tracked_name).click()
    download = await tracked.value
    assert download.suggested_filename == f"{TRIAL}-A-1-tracked.pdf"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = pdf_text(saved)
    assert "Amendment A-1 (submitted) to version 1 · tracked changes against version 1" in text
    assert "Age 18 to 6575 years" in text  # 65 struck, 75 underlined: read as drawn
    await files.scroll_into_view_if_needed()
    await screenshot(elena, "amendment-documents")
