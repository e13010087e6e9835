"""The protocol documents' formats are named without importing their renderers, and the
names agree with the renderers' own."""

from __future__ import annotations

from server.formats import protocol_docx, protocol_pdf
from server.formats.document_files import FORMATS
from server.formats.format_arguments import DOCUMENT_FORMATS


def test_each_export_format_names_a_document_format() -> None:
    assert sorted(DOCUMENT_FORMATS.values()) == sorted(FORMATS)


def test_the_media_types_are_the_renderers() -> None:
    assert FORMATS["pdf"].media_type == protocol_pdf.MEDIA_TYPE
    assert FORMATS["docx"].media_type == protocol_docx.MEDIA_TYPE
