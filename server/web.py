"""The browser front end: the static files in ``web/`` (beside this package), served at
``/`` after every API route. Nothing is fetched from elsewhere at run time."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
"""``web/`` in the source tree (``concord`` is installed editable, as the README says)."""


class _WebFiles(StaticFiles):
    """The files of ``web/``; any other method, or a path under ``/api`` that no API
    route took, is a 404 (an unknown route), not a file lookup."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD") or path.split("/")[0] == "api":
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def web_mount() -> Mount:
    """``/`` and below: ``index.html`` for the directory, the modules and styles by name."""
    return Mount("/", app=_WebFiles(directory=WEB_DIR, html=True), name="web")
