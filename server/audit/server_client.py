"""The command line's way to a running Concord server: JSON over HTTP with an API token,
for ``concord proof`` and ``concord witness``, which run elsewhere than the server.

The standard library's client, so that an inspector or a witness needs nothing beyond
Concord itself. A refusal says the server's problem detail; an unreachable server says so.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 60.0


class ServerRefused(Exception):
    """The server could not be reached, or answered with a problem (the message says which)."""


class ConcordServer:
    """A Concord server at ``url``; ``token`` an API token (``Authorization: Bearer``)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, query: dict[str, int] | None = None) -> Any:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return self._send(urllib.request.Request(self.url + path + suffix, headers=self._headers))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        headers = {**self._headers, "Content-Type": "application/json"}
        data = json.dumps(body).encode()
        return self._send(urllib.request.Request(self.url + path, data, headers, method="POST"))

    def _send(self, request: urllib.request.Request) -> Any:
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            detail = _problem_detail(error)
            raise ServerRefused(f"{request.full_url} answered {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise ServerRefused(f"cannot reach {request.full_url}: {error}") from None


def _problem_detail(error: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(error.read()).get("detail")
    except (ValueError, AttributeError, OSError):
        detail = None
    return str(detail or error.reason)
