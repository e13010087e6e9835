"""The formats room's part of the ``concord`` command line: ``import FILE``'s arguments,
and the names ``export --format`` takes for a protocol document.

Apart from the handlers (:mod:`server.formats.usdm_commands`,
:mod:`server.formats.document_files`) so that building the ``concord`` parser imports
neither USDM validation nor the PDF and DOCX renderers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.roles import OrganizationKind
from server.formats.protocol_document import Copy

DOCUMENT_FORMATS = {"protocol-pdf": "pdf", "protocol-docx": "docx"}
"""``concord export --format`` names of the protocol's documents, and the kind of file
each is (a key of :data:`server.formats.document_files.FORMATS`)."""
COPIES = tuple(copy.value for copy in Copy)
"""``--copy``: of an amendment's protocol, clean or tracked."""


def add_import_command(commands: Any) -> None:
    """``concord import FILE``: its arguments (``commands``: argparse's subparsers)."""
    found = commands.add_parser(
        "import",
        help="found a trial from a USDM v4 file: titles, identifiers, organizations, the"
        " narrative placed on the M11 outline (with a report), amendments as history",
    )
    found.add_argument("file", type=Path, help="the USDM v4 file (JSON)")
    found.add_argument("--user", required=True, help="who imports it: the new trial's admin")
    found.add_argument("--trial", help="the new trial's id (default: from the study's name)")
    found.add_argument("--organization", required=True, help="the importer's organization id")
    found.add_argument(
        "--organization-kind",
        required=True,
        choices=[kind.value for kind in OrganizationKind],
    )
    found.add_argument("--organization-name", help="(default: the organization id)")
    found.add_argument("--title", help="the trial's title (default: the file's official title)")
