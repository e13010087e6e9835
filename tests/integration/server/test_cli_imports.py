"""``concord`` imports only what the command it runs needs: ``--help``, parsing any
command's arguments, ``user list`` and ``db upgrade`` leave the server, the audit
history, the PDF and DOCX renderers, USDM validation and (on a database already at the
newest revision) alembic out of the process. Each runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a long enough passphrase"
HEAVY = (
    "reportlab",
    "docx",
    "jsonschema",
    "alembic",
    "uvicorn",
    "starlette",
    "pycrdt",
    "server.audit.history",
    "server.bootstrap",
    "server.app",
)
"""What a command that needs none of it must not import (each costs 0.1-0.5 s)."""

_RUN = """
import json, sys
from server.cli import main
try:
    status = main(sys.argv[2:])
except SystemExit as exit:
    status = exit.code
with open(sys.argv[1], "w") as out:
    json.dump({"status": status, "modules": sorted(sys.modules)}, out)
"""


def concord(tmp_path: Path, *argv: str) -> tuple[int, set[str], str]:
    """``concord ARGV`` in a fresh interpreter: its exit status, the modules it imported
    and its output."""
    report = tmp_path / "report.json"
    env = {**os.environ, "CONCORD_PASSWORD": PASSWORD, "CONCORD_DATA_DIR": str(tmp_path)}
    ran = subprocess.run(
        [sys.executable, "-c", _RUN, str(report), *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = json.loads(report.read_text())
    return found["status"] or 0, set(found["modules"]), ran.stdout + ran.stderr


def heavy(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY or name in HEAVY)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["export", "--help"],
        ["user", "create", "--help"],
        ["serve", "--help"],
        ["import", "--help"],
        ["personal-data", "erase", "request", "--help"],
        ["witness", "--help"],
        ["proof", "inclusion", "--help"],
    ],
    ids=" ".join,
)
def test_the_help_of_any_command_imports_none_of_the_work(tmp_path: Path, argv: list[str]) -> None:
    status, modules, output = concord(tmp_path, *argv)
    assert status == 0, output
    assert "usage: concord" in output
    assert heavy(modules) == []


def test_a_refused_argument_is_refused_before_anything_is_imported(tmp_path: Path) -> None:
    status, modules, output = concord(tmp_path, "export", "--format", "mp3", "--out", "x")
    assert status == 2
    assert "invalid choice: 'mp3'" in output
    assert heavy(modules) == []


def test_account_commands_and_upgrades_import_none_of_the_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'concord.sqlite'}"
    status, modules, output = concord(tmp_path, "--db", url, "user", "create", "nadia", "Nadia")
    assert status == 0, output
    assert "alembic" in modules  # a new database: migrated first
    assert heavy(modules - {name for name in modules if name.startswith("alembic")}) == []

    status, modules, output = concord(tmp_path, "--db", url, "user", "list")
    assert status == 0, output
    assert "nadia" in output
    assert heavy(modules) == []

    status, modules, output = concord(tmp_path, "--db", url, "db", "upgrade")
    assert status == 0, output
    assert "database ready" in output
    assert heavy(modules) == []


def test_the_server_starts_without_the_renderers_validation_or_alembic() -> None:
    """What ``concord serve`` imports before it answers (the app, its routes and the
    composition root): a PDF, a DOCX or a USDM import imports what it needs when asked."""
    script = "import sys, server.app, server.bootstrap; print(' '.join(sys.modules))"
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    modules = set(ran.stdout.split())
    assert "server.formats.document_routes" in modules  # the routes are there
    assert {"reportlab", "docx", "jsonschema", "alembic"} & modules == set()
    assert "zxcvbn" not in modules  # loaded by the first password checked
