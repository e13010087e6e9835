"""Reading a USDM v4 file into the plan of a new trial: pure, bounded and sanitised.

:func:`read_usdm` takes the file's bytes and answers an :class:`ImportPlan` (the
protocol's title, the texts of the M11 outline's sections, the deeper subsections, and
the :class:`domain.imports.ImportRecord`) or raises :class:`ImportRefused` with the
reasons: too large, not JSON, nested too deep, or not valid USDM v4 (the schema
validator's first errors, each with its JSON path). Nothing is recorded either way;
``server/formats/usdm_importing.py`` founds the trial from a plan.

Which narrative: the study definition document that follows the M11 template (its
``templateName`` names M11) or else the first, at the version the latest study version
uses. Each ``NarrativeContent`` is read as blocks (its XHTML sanitised, its references
resolved, bounded) and placed on the outline (:mod:`server.formats.usdm_import_placement`).
Every placement, with what the XHTML conversion dropped on the way, is in the record,
with the file's titles, identifiers and organizations and the amendments it lists
(:mod:`server.formats.usdm_import_amendments`), every value visible, trimmed and bounded
(:mod:`server.formats.usdm_import_fields`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from domain.imports import (
    ImportRecord,
    Placement,
    SourceIdentifier,
    SourceOrganization,
    SourceTitle,
)
from domain.protocol_events import SectionText
from server.formats.content import Block, collapse, retexted
from server.formats.usdm_import_amendments import listed_amendments
from server.formats.usdm_import_fields import (
    MAX_FIELD_CHARS,
    coded,
    decimal_text,
    optional_field,
    text_field,
    visible,
)
from server.formats.usdm_import_placement import NarrativePart, numbered_like_m11, place
from server.formats.usdm_validation import SchemaError, schema_errors
from server.formats.xhtml import from_xhtml, inline_text
from server.http.json_numbers import NumberTooLarge, wide_integers_as_floats

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest file accepted: 64 MiB. The CDISC example is 1 MiB; Concord's own export of a
trial of 500 sections and 50 merged amendments is about 42 MiB (every study version
carries its whole narrative), and reading it takes about 600 MiB (``bench/formats.py``),
so the server reads one import at a time (``server/formats/usdm_routes.py``)."""
MAX_DEPTH = 64
"""Deepest nesting of arrays and objects (USDM's deepest paths are about 15 levels)."""
MAX_SECTION_CHARS = 1_000_000
"""Text kept of one section (beyond it the text is cut, and the record says so)."""
MAX_REFERENCE_DEPTH = 4
"""References (``usdm:ref``) resolved inside referenced text, at most this deep."""


class ImportRefused(ValueError):
    """The file is not imported; ``errors`` are the schema validator's first errors."""

    def __init__(self, kind: str, reason: str, errors: Sequence[SchemaError] = ()) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What a new trial is founded with, read from a file."""

    study_name: str
    title: str
    """The protocol's (and the new trial's) title."""
    texts: Mapping[str, str]
    """Texts of sections of the M11 outline, by number."""
    subsections: tuple[SectionText, ...]
    record: ImportRecord


def read_usdm(raw: bytes, *, file_name: str = "") -> ImportPlan:
    """The plan of a trial founded from the USDM v4 file ``raw`` (or :class:`ImportRefused`)."""
    if len(raw) > MAX_FILE_BYTES:
        raise ImportRefused("too-large", f"the file is larger than {MAX_FILE_BYTES} bytes")
    try:
        document = wide_integers_as_floats(raw, msgspec.json.decode(raw))
    except (msgspec.DecodeError, NumberTooLarge) as error:
        raise ImportRefused("not-json", f"the file is not valid JSON: {error}") from None
    except RecursionError:  # msgspec recurses: nesting near Python's limit (~1,000 levels)
        raise ImportRefused(
            "too-deep", f"the file nests arrays and objects deeper than {MAX_DEPTH} levels"
        ) from None
    _check_depth(document)
    errors = schema_errors(document)
    if errors:
        raise ImportRefused("not-usdm", "the file is not valid USDM v4", errors)
    version = str(document["usdmVersion"])
    if not version.startswith("4"):
        message = f"usdmVersion is {version!r}: Concord reads USDM version 4"
        raise ImportRefused(
            "not-usdm", "the file is not USDM v4", [SchemaError("$.usdmVersion", message)]
        )
    return _Reader(document).plan(
        file_name=text_field(file_name) or "upload.json",
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
    )


def _check_depth(document: Any) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` (walked with a stack, not recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ImportRefused(
                    "too-deep", f"the file nests arrays and objects deeper than {MAX_DEPTH} levels"
                )
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


class _Reader:
    def __init__(self, document: dict[str, Any]) -> None:
        self.wrapper = document
        self.study: dict[str, Any] = document["study"]
        versions = self.study.get("versions") or []
        self.latest: dict[str, Any] = versions[-1] if versions else {}
        self.versions: list[dict[str, Any]] = versions
        self.objects: dict[str, dict[str, Any]] = dict(_objects(document))

    # -- the plan ----------------------------------------------------------------------

    def plan(self, *, file_name: str, sha256: str, size: int) -> ImportPlan:
        parts, follows_m11 = self._parts()
        texts, subsections, holding = place(parts, follows_m11)
        titles = self._titles()
        study_name = text_field(self.study.get("name")) or "study"
        title = next(
            (t.text for t in titles if t.kind.decode.casefold() == "official study title"),
            next((t.text for t in titles), text_field(self.study.get("label")) or study_name),
        )
        record = ImportRecord(
            file_name=file_name,
            file_sha256=sha256,
            file_bytes=size,
            format=f"USDM {text_field(self.wrapper['usdmVersion'])}",
            system=" ".join(
                text_field(self.wrapper.get(k))
                for k in ("systemName", "systemVersion")
                if self.wrapper.get(k)
            ),
            study_name=study_name,
            titles=titles,
            identifiers=tuple(
                SourceIdentifier(text=text_field(i["text"]), organization=text_field(i["scopeId"]))
                for i in self.latest.get("studyIdentifiers", [])
            ),
            organizations=tuple(
                SourceOrganization(
                    key=text_field(o["id"]),
                    name=text_field(o["name"]),
                    label=optional_field(o.get("label")),
                    kind=coded(o["type"]),
                    identifier_scheme=text_field(o["identifierScheme"]),
                    identifier=text_field(o["identifier"]),
                )
                for o in self.latest.get("organizations", [])
            ),
            amendments=listed_amendments(self.versions),
            placements=tuple(
                Placement(
                    source_number=p.number,
                    source_title=p.title,
                    rule=p.rule,
                    number=p.target,
                    notes=tuple(p.notes),
                )
                for p in parts
            ),
            holding=holding,
        )
        return ImportPlan(
            study_name=study_name,
            title=title,
            texts=texts,
            subsections=subsections,
            record=record,
        )

    def _titles(self) -> tuple[SourceTitle, ...]:
        return tuple(
            SourceTitle(text=text_field(t["text"]), kind=coded(t["type"]))
            for t in self.latest.get("titles", [])
            if text_field(t["text"])
        )

    # -- the narrative ----------------------------------------------------------------

    def _document_version(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The document to import (M11's if any) and its version the latest study
        version uses (else its last)."""
        documents = [d for d in self.study.get("documentedBy", []) if d.get("versions")]
        if not documents:
            return None
        chosen = next(
            (d for d in documents if "M11" in str(d.get("templateName", "")).upper()), documents[0]
        )
        used = set(self.latest.get("documentVersionIds", []))
        version = next(
            (v for v in reversed(chosen["versions"]) if v["id"] in used), chosen["versions"][-1]
        )
        return chosen, version

    def _parts(self) -> tuple[list[NarrativePart], bool]:
        found = self._document_version()
        if found is None:
            return [], False
        document, version = found
        items = {
            item["id"]: item
            for study_version in self.versions
            for item in study_version.get("narrativeContentItems", [])
        }
        parts = []
        for content in version.get("contents", []):
            number = _section_number(content.get("sectionNumber"))
            title = text_field(content.get("sectionTitle"))
            item = items.get(content.get("contentItemId") or "")
            notes: list[str] = []
            if content.get("contentItemId") and item is None:
                notes.append(f"its content item {content['contentItemId']!r} is not in the file")
            parsed = (
                from_xhtml(item["text"], self._resolve, max_chars=MAX_SECTION_CHARS)
                if item
                else None
            )
            found_blocks = _visible_blocks(parsed.blocks, notes) if parsed else ()
            notes.extend(parsed.notes if parsed else ())
            parts.append(NarrativePart(number, title, found_blocks, notes))
        template = str(document.get("templateName", "")).upper()
        return parts, "M11" in template or numbered_like_m11(parts)

    def _resolve(self, klass: str, id_: str, attribute: str, depth: int = 0) -> str | None:
        """The text a ``usdm:ref`` stands for: the attribute of the object it names (its
        own references and syntax-template tags resolved in turn, up to a depth)."""
        target = self.objects.get(id_)
        if target is None or (klass and target.get("instanceType") != klass):
            return None
        value = target.get(attribute)
        if isinstance(value, dict):
            value = value.get("decode")
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            return None
        if isinstance(value, int | float):
            return decimal_text(value)
        text = str(value)
        if "<" not in text:
            return collapse(text[:MAX_FIELD_CHARS])
        if depth >= MAX_REFERENCE_DEPTH:
            return None
        dictionary = self.objects.get(str(target.get("dictionaryId")))
        return inline_text(
            text,
            lambda k, i, a: self._resolve(k, i, a, depth + 1),
            tags=lambda name: self._tag(dictionary, name, depth + 1),
            max_chars=MAX_FIELD_CHARS,
        )

    def _tag(self, dictionary: dict[str, Any] | None, name: str, depth: int) -> str | None:
        """What a syntax template's tag stands for, by its dictionary's parameter map."""
        maps = dictionary.get("parameterMaps", []) if dictionary else []
        reference = next((m.get("reference") for m in maps if m.get("tag") == name), None)
        if not isinstance(reference, str) or depth >= MAX_REFERENCE_DEPTH:
            return None
        return inline_text(
            reference,
            lambda k, i, a: self._resolve(k, i, a, depth + 1),
            max_chars=MAX_FIELD_CHARS,
        )


def _objects(document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object of the file that has an id (for references), walked with a stack."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("id"), str):
                yield value["id"], value
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _section_number(value: Any) -> str:
    """A section number as M11 writes it: ``2.1.`` is ``2.1``."""
    return text_field(value).rstrip(". ") if value is not None else ""


def _visible_blocks(found: tuple[Block, ...], notes: list[str]) -> tuple[Block, ...]:
    removed = 0

    def kept(text: str) -> str:
        nonlocal removed
        shown, count = visible(text)
        removed += count
        return shown

    cleaned = retexted(found, kept)
    if removed:
        notes.append(f"{removed} characters nobody can see left out")
    return cleaned
