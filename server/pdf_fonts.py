"""What the PDFs Concord writes with ReportLab share: the body font, one lock, text as markup.

Used by the protocol documents (``server/formats/protocol_pdf.py``) and the audit report
(``server/audit/report_pdf.py``). Text is set in DejaVu Sans when the system has it
(Debian's fonts-dejavu), embedded as a subset, so any language's letters show; otherwise in
Helvetica, one of PDF's standard fonts, which shows Latin-1 only (other letters print as
boxes).
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_FACES = {
    "": "DejaVuSans",
    "-Bold": "DejaVuSans-Bold",
    "-Italic": "DejaVuSans-Oblique",
    "-BoldItalic": "DejaVuSans-BoldOblique",
}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What XML, and so a Paragraph's markup, cannot hold."""

BUILDING = threading.Lock()
"""ReportLab keeps fonts' subsetting state in shared objects: one document at a time, of
any kind (hold it while building; build off the event loop)."""


_REGISTERING = threading.Lock()


def family() -> str:
    """The body font's family name: DejaVu Sans registered as ``Body``, else Helvetica.

    The fonts are registered once, by the first caller (any thread)."""
    with _REGISTERING:
        return _registered()


@functools.cache
def _registered() -> str:
    for folder in FONT_FOLDERS:
        files = {suffix: folder / f"{name}.ttf" for suffix, name in _FACES.items()}
        if all(path.exists() for path in files.values()):
            for suffix, path in files.items():
                pdfmetrics.registerFont(TTFont(f"Body{suffix}", str(path)))
            pdfmetrics.registerFontFamily(
                "Body",
                normal="Body",
                bold="Body-Bold",
                italic="Body-Italic",
                boldItalic="Body-BoldItalic",
            )
            return "Body"
    return "Helvetica"


def face(bold: bool = False, italic: bool = False) -> str:
    """The registered name of the body font's regular, bold, italic or bold italic face."""
    name = family()
    if name == "Helvetica":
        suffix = "-BoldOblique" if bold and italic else "-Bold" if bold else "-Oblique"
        return name + suffix if bold or italic else name
    suffix = "-BoldItalic" if bold and italic else "-Bold" if bold else "-Italic"
    return name + suffix if bold or italic else name


def markup(value: str) -> str:
    """``value`` as Paragraph markup: escaped, without what XML cannot hold."""
    return escape(NOT_XML.sub("", value))
