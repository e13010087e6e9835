"""The protocol's documents over HTTP: any published version, and an amendment's protocol
clean or tracked, as PDF or DOCX.

Each is a :class:`server.http.query_routes.QueryRoute` (``trial:read``), so it is
authorized, served and documented as the other reads are; ``server/app.py`` adds the
table to the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import Response

from rbac import Action
from server.formats.document_files import (
    FORMATS,
    DocumentNotFound,
    amendment_file,
    file_name,
    render,
    version_file,
)
from server.formats.protocol_document import Copy, ProtocolDocument
from server.http.authentication import Principal
from server.http.problems import Problem
from server.http.query_routes import QueryRoute
from server.services import Services

Answer = Callable[[Services, dict[str, str], Principal], Awaitable[Response]]


async def _file(document: ProtocolDocument, kind: str) -> Response:
    body = await render(document, kind)
    disposition = f'attachment; filename="{file_name(document, kind)}"'
    return Response(
        body, media_type=FORMATS[kind].media_type, headers={"Content-Disposition": disposition}
    )


def _version(kind: str) -> Answer:
    async def answer(services: Services, p: dict[str, str], principal: Principal) -> Response:
        try:
            document = await version_file(
                services.states, p["trial_id"], p["version"], now=services.clock()
            )
        except DocumentNotFound as missing:
            raise Problem(404, "not-found", str(missing)) from None
        return await _file(document, kind)

    return answer


def _copy(p: dict[str, str]) -> Copy:
    given = p.get("copy", Copy.CLEAN.value)
    try:
        return Copy(given)
    except ValueError:
        raise Problem(
            422, "malformed-parameter", f"copy is clean or tracked, not {given!r}"
        ) from None


def _amendment(kind: str) -> Answer:
    async def answer(services: Services, p: dict[str, str], principal: Principal) -> Response:
        copy = _copy(p)
        try:
            document = await amendment_file(
                services.states,
                services.store,
                p["trial_id"],
                p["amendment_id"],
                copy,
                now=services.clock(),
            )
        except DocumentNotFound as missing:
            raise Problem(404, "not-found", str(missing)) from None
        return await _file(document, kind)

    return answer


T = "/api/trials/{trial_id}"
_NAMES = {"pdf": "PDF", "docx": "DOCX (Word)"}

DOCUMENT_ROUTES: tuple[QueryRoute, ...] = tuple(
    route
    for kind, format_ in FORMATS.items()
    for route in (
        QueryRoute(
            f"protocol_version_{kind}",
            T + f"/protocol/versions/{{version}}/document.{format_.extension}",
            Action.READ,
            f"Published protocol version N as {_NAMES[kind]}, laid out as ICH M11: title page,"
            " amendment details and overview of changes (when the version came from an"
            " amendment), table of contents, numbered sections; the version and page number"
            " on every page",
            _version(kind),
            media_type=format_.media_type,
        ),
        QueryRoute(
            f"amendment_document_{kind}",
            T + f"/amendments/{{amendment_id}}/document.{format_.extension}",
            Action.READ,
            f"The protocol as the amendment makes it, as {_NAMES[kind]}: the clean copy, or"
            " the tracked copy (its insertions and deletions against its base version"
            + (", as Word revisions with author and date" if kind == "docx" else "")
            + ")",
            _amendment(kind),
            query={"copy": "clean (the default) or tracked"},
            media_type=format_.media_type,
        ),
    )
)
