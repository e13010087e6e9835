"""The headers every HTTP answer carries: what a browser may load and run on Concord's
pages, that no other site may frame them, and that API answers are never cached.

A pure ASGI middleware (it only rewrites ``http.response.start``), outside everything
else in the app, so problems, 500s, streamed exports and static files all get them;
websocket handshakes pass through untouched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        # 'self' covers ws: and wss: of the page's own host (CSP Level 3); a page of an
        # --allow-origin origin runs under its own server's policy, not this one
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""Only Concord's own files, no inline script or style (``web/`` has none: docs/web.md),
and no framing by any page, of this site or another."""

_EVERY_ANSWER: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),  # for browsers that predate frame-ancestors
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)

API_CACHE_CONTROL = "no-store"
"""API answers and exports hold a trial's data and a signed-in person's view of it: no
browser or proxy keeps them."""
WEB_CACHE_CONTROL = "no-cache"
"""The pages' files may be kept, but are revalidated (ETag) before each use: there is no
build step to version their names."""


def is_api_path(path: str) -> bool:
    """``/api`` and below, and the OpenAPI document."""
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


class SecurityHeaders:
    """Adds :data:`CONTENT_SECURITY_POLICY` and its companions to every HTTP answer, with
    ``Cache-Control`` by path (replacing any the app set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cache_control = API_CACHE_CONTROL if is_api_path(scope["path"]) else WEB_CACHE_CONTROL

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", ()))
                headers = MutableHeaders(scope=message)
                for name, value in _EVERY_ANSWER:
                    headers[name] = value
                headers["Cache-Control"] = cache_control
            await send(message)

        await self.app(scope, receive, send_with_headers)
