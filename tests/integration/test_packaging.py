"""A regular (not editable) install runs: the wheel carries the web front end and the
database migrations, which live at the top of the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_the_web_front_end_and_every_migration(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("concord-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    web = {f"server/web_files/{p.relative_to(ROOT / 'web')}" for p in (ROOT / "web").rglob("*")
           if p.is_file()}  # fmt: skip
    revisions = {f"events/alembic_scripts/versions/{p.name}"
                 for p in (ROOT / "migrations" / "versions").glob("*.py")}  # fmt: skip
    assert "server/web_files/index.html" in web
    assert web <= names, sorted(web - names)
    assert revisions
    assert revisions <= names, sorted(revisions - names)
    assert {"events/alembic_scripts/env.py", "events/alembic_scripts/script.py.mako"} <= names
    # the import validates uploads against CDISC's USDM schema, shipped with its licence
    usdm = {"server/formats/usdm_schema/USDM_API.json", "server/formats/usdm_schema/LICENSE"}
    assert usdm <= names
    assert not any(name.startswith(("tests/", "bench/", "web/", "migrations/")) for name in names)
