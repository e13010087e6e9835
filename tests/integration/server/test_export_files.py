"""``concord export --out FILE``: a file at FILE is always a whole export. It is written
beside FILE under another name and renamed once complete, so an export that fails, is
interrupted or is killed leaves no half file that looks like a whole one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from server.audit.commands import PARTIAL_SUFFIX
from server.demo import DEMO_TRIAL, DemoPerson
from tests.integration.server.conftest import Cli

WAIT = 30.0
"""Longest the test waits for the export to begin writing (a failure, never a pause)."""


@pytest.fixture
def url(sqlite_url: str) -> str:
    """The files are the CLI's own business: one backend is enough."""
    return sqlite_url


def partial_file(folder: Path, process: subprocess.Popen[str]) -> Path:
    """The export's file in the making, once it exists (at most WAIT seconds)."""
    deadline = time.monotonic() + WAIT
    while not (found := [p for p in folder.iterdir() if p.name.endswith(PARTIAL_SUFFIX)]):
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.communicate()[0] if process.poll() is not None else ""
            raise AssertionError(f"the export never began writing: {output}")
        time.sleep(0.01)
    [part] = found
    return part


def test_an_export_killed_midway_leaves_no_file_at_out(
    demo: dict[str, DemoPerson], url: str, tmp_path: Path, signing_key: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "asthma.jsonl"
    # Holding the database's write lock stops the export deterministically at its first
    # write, the signed checkpoint that heads the log, after it has begun its file.
    blocker = sqlite3.connect(str(make_url(url).database), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    argv = ["--db", url, "export", "--trial", DEMO_TRIAL, "--format", "jsonl", "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", *argv],
        env={**os.environ, "CONCORD_SIGNING_KEY": str(signing_key)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        part = partial_file(folder, process)
        assert process.poll() is None  # still exporting
        assert part.name.startswith(".asthma.jsonl.")
        process.kill()
        process.communicate(timeout=WAIT)
    finally:
        blocker.rollback()
        blocker.close()
    assert process.returncode == -9
    assert not out.exists()
    assert list(folder.iterdir()) == [part]  # hidden, and named for what it is


async def test_a_failed_export_leaves_the_earlier_file_and_nothing_else(
    demo: dict[str, DemoPerson], url: str, tmp_path: Path, concord: Cli
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "trail.csv"
    out.write_text("an earlier export\n")
    # the audit trail is of one trial: refused once the export has begun its file
    code, _ = await concord("--db", url, "export", "--format", "csv", "--out", str(out))
    assert code == 2
    assert list(folder.iterdir()) == [out]
    assert out.read_text() == "an earlier export\n"

    argv = ["--db", url, "export", "--trial", DEMO_TRIAL, "--format", "csv", "--out", str(out)]
    code, printed = await concord(*argv)
    assert (code, printed.split(" (")[0]) == (0, f"wrote {out}")
    assert list(folder.iterdir()) == [out]
    assert out.read_text().startswith("position,recorded_at,record,event,user_id,printed_name")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file of the user's


async def test_an_export_into_a_missing_folder_says_so(
    demo: dict[str, DemoPerson], url: str, tmp_path: Path, concord: Cli
) -> None:
    out = tmp_path / "missing" / "report.pdf"
    argv = ["--db", url, "export", "--trial", DEMO_TRIAL, "--format", "pdf", "--out", str(out)]
    assert (await concord(*argv))[0] == 2
    assert not out.parent.exists()
