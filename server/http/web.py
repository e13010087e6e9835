"""The browser front end: the static files in ``web/``, served at ``/`` after every API
route. Nothing is fetched from elsewhere at run time."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

_SERVER = Path(__file__).resolve().parents[1]
WEB_DIR = next(
    (folder for folder in (_SERVER / "web_files", _SERVER.parent / "web") if folder.is_dir()),
    _SERVER.parent / "web",
)
"""``server/web_files/`` in an installed wheel (pyproject.toml puts ``web/`` there), else
``web/`` at the top of the source tree (an editable install, the tests)."""


class _WebMount(Mount):
    """Everything outside ``/api``: a path under it that no API route took stays the
    API's own 404 (or 405 for a known path with another method), never a file lookup."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if path == "/api" or path.startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)


def web_mount() -> Mount:
    """``/`` and below: ``index.html`` for the directory, the modules and styles by name."""
    return _WebMount("/", app=StaticFiles(directory=WEB_DIR, html=True), name="web")
