"""A USDM file's values as an import keeps them: visible, trimmed and bounded.

A text field keeps at most :data:`MAX_FIELD_CHARS` characters and none that nobody can see
(``domain.visible_text``: bidi controls, zero-width characters, ...); a ``Code`` or
``AliasCode`` is kept as the file coded it (:class:`domain.imports.Coded`), a number as
decimal text (the log holds no floats).
"""

from __future__ import annotations

from typing import Any

from domain.imports import Coded
from domain.visible_text import first_invisible

MAX_FIELD_CHARS = 10_000
"""Text kept of a title, summary, name or other field."""


def visible(text: str) -> tuple[str, int]:
    """``text`` without the characters nobody can see (``domain.visible_text``), and how
    many were left out."""
    kept: list[str] = []
    removed = 0
    while (found := first_invisible(text)) is not None:
        kept.append(text[: found.offset])
        text = text[found.offset + 1 :]
        removed += 1
    kept.append(text)
    return "".join(kept), removed


def text_field(value: Any) -> str:
    """A short text field, visible, trimmed and bounded."""
    text = "" if value is None else str(value)
    return visible(text[:MAX_FIELD_CHARS])[0].strip()


def optional_field(value: Any) -> str | None:
    return None if value is None else text_field(value)


def coded(code: dict[str, Any]) -> Coded:
    """A ``Code`` as the file has it."""
    return Coded(
        code=text_field(code["code"]),
        system=text_field(code["codeSystem"]),
        system_version=text_field(code["codeSystemVersion"]),
        decode=text_field(code["decode"]),
    )


def alias_coded(alias: dict[str, Any] | None) -> Coded | None:
    """An ``AliasCode``'s standard code, as the file has it."""
    return None if alias is None else coded(alias["standardCode"])


def decimal_text(value: int | float) -> str:
    """A JSON number as decimal text (without ``.0`` when it is whole)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
