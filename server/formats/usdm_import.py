"""Reading a USDM v4 file into the plan of a new trial: pure, bounded and sanitised.

:func:`read_usdm` takes the file's bytes and answers an :class:`ImportPlan` (the
protocol's title, the texts of the M11 outline's sections, the deeper subsections, and
the :class:`domain.imports.ImportRecord`) or raises :class:`ImportRefused` with the
reasons: too large, not JSON, nested too deep, or not valid USDM v4 (the schema
validator's first errors, each with its JSON path). Nothing is recorded either way;
``server/formats/usdm_importing.py`` founds the trial from a plan.

Which narrative: the study definition document that follows the M11 template (its
``templateName`` names M11) or else the first, at the version the latest study version
uses. Each ``NarrativeContent`` is placed (see :func:`_place`):

- in a document that follows the M11 template, by section number: a number of the
  outline is that section (unless its title is another outline section's heading and no
  part of the source claims that one by number: a template's numbering drifted), a
  deeper number becomes a subsection under its parent with the source's title;
- otherwise, and for what numbers cannot place, by title (an outline heading, compared
  without regard to case, punctuation or spacing);
- what neither places goes, in document order and headed by its number and title, into
  section 12 (Appendix: Supporting Details), where a person sees it and moves it; the
  title page and empty sections are left out.

Every placement, with what the XHTML conversion dropped on the way, is in the record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from domain import m11
from domain.imports import (
    Coded,
    ImportRecord,
    Placement,
    PlacementRule,
    SourceAmendment,
    SourceChange,
    SourceDate,
    SourceEnrollment,
    SourceIdentifier,
    SourceImpact,
    SourceOrganization,
    SourceReason,
    SourceScope,
    SourceSection,
    SourceTitle,
)
from domain.protocol_events import SectionText
from domain.visible_text import first_invisible
from server.formats.content import Block, Paragraph, collapse, plain_text
from server.formats.usdm_validation import SchemaError, schema_errors
from server.formats.xhtml import from_xhtml, inline_text

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest file accepted: 64 MiB. The CDISC example is 1 MiB; Concord's own export of a
trial of 500 sections and 50 merged amendments is about 42 MiB (every study version
carries its whole narrative), and reading it takes about 600 MiB (``bench/formats.py``),
so the server reads one import at a time (``server/formats/usdm_routes.py``)."""
MAX_DEPTH = 64
"""Deepest nesting of arrays and objects (USDM's deepest paths are about 15 levels)."""
MAX_SECTION_CHARS = 1_000_000
"""Text kept of one section (beyond it the text is cut, and the record says so)."""
MAX_FIELD_CHARS = 10_000
"""Text kept of a title, summary, name or other field."""
MAX_REFERENCE_DEPTH = 4
"""References (``usdm:ref``) resolved inside referenced text, at most this deep."""
HOLDING_SECTION = "12"
"""Where narrative no section matched goes: Appendix: Supporting Details."""
_TITLE_PAGE = "title page"


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
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ImportRefused("not-json", f"the file is not valid JSON: {error}") from None
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
        file_name=_field(file_name) or "upload.json",
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


def _field(value: Any) -> str:
    """A short text field, visible, trimmed and bounded."""
    text = "" if value is None else str(value)
    return visible(text[:MAX_FIELD_CHARS])[0].strip()


def _optional(value: Any) -> str | None:
    return None if value is None else _field(value)


def normal_title(title: str) -> str:
    """A title as compared: lower case, letters and digits only, single spaces."""
    return " ".join(re.sub(r"[^\w]+", " ", title.casefold()).split())


OUTLINE_BY_TITLE: dict[str, str] = {}
for _section in m11.OUTLINE:
    OUTLINE_BY_TITLE.setdefault(normal_title(_section.heading), _section.number)
OUTLINE_HEADINGS = {s.number: s.heading for s in m11.OUTLINE}


@dataclass(slots=True)
class _Part:
    """One ``NarrativeContent`` of the source, read."""

    number: str
    title: str
    found: tuple[Block, ...]
    notes: list[str] = field(default_factory=list)
    rule: PlacementRule = PlacementRule.UNPLACED
    target: str | None = None


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
        texts, subsections, holding = _place(parts, follows_m11)
        titles = self._titles()
        study_name = _field(self.study.get("name")) or "study"
        title = next(
            (t.text for t in titles if t.kind.decode.casefold() == "official study title"),
            next((t.text for t in titles), _field(self.study.get("label")) or study_name),
        )
        record = ImportRecord(
            file_name=file_name,
            file_sha256=sha256,
            file_bytes=size,
            format=f"USDM {_field(self.wrapper['usdmVersion'])}",
            system=" ".join(
                _field(self.wrapper.get(k))
                for k in ("systemName", "systemVersion")
                if self.wrapper.get(k)
            ),
            study_name=study_name,
            titles=titles,
            identifiers=tuple(
                SourceIdentifier(text=_field(i["text"]), organization=_field(i["scopeId"]))
                for i in self.latest.get("studyIdentifiers", [])
            ),
            organizations=tuple(
                SourceOrganization(
                    key=_field(o["id"]),
                    name=_field(o["name"]),
                    label=_optional(o.get("label")),
                    kind=_coded(o["type"]),
                    identifier_scheme=_field(o["identifierScheme"]),
                    identifier=_field(o["identifier"]),
                )
                for o in self.latest.get("organizations", [])
            ),
            amendments=tuple(_amendment(a) for a in self._amendments()),
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
            SourceTitle(text=_field(t["text"]), kind=_coded(t["type"]))
            for t in self.latest.get("titles", [])
            if _field(t["text"])
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

    def _parts(self) -> tuple[list[_Part], bool]:
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
            title = _field(content.get("sectionTitle"))
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
            parts.append(_Part(number, title, found_blocks, notes))
        template = str(document.get("templateName", "")).upper()
        return parts, "M11" in template or _numbered_like_m11(parts)

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
            return _quantity(value)
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

    # -- amendments -------------------------------------------------------------------

    def _amendments(self) -> list[dict[str, Any]]:
        """Every amendment the study versions list, once, in the order their
        ``previousId`` links give (else as listed)."""
        listed: dict[str, dict[str, Any]] = {}
        for version in self.versions:
            for amendment in version.get("amendments", []):
                listed.setdefault(amendment["id"], amendment)
        following: dict[str | None, list[str]] = {}
        for key, amendment in listed.items():
            previous = amendment.get("previousId")
            following.setdefault(previous if previous in listed else None, []).append(key)
        ordered: list[str] = []
        pending = list(reversed(following.get(None, [])))
        while pending:
            key = pending.pop()
            if key in ordered:
                continue
            ordered.append(key)
            pending.extend(reversed(following.get(key, [])))
        ordered += [key for key in listed if key not in ordered]
        return [listed[key] for key in ordered]


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
    return _field(value).rstrip(". ") if value is not None else ""


def _numbered_like_m11(parts: list[_Part]) -> bool:
    """Most numbered parts carry the outline's heading under its number."""
    numbered = [p for p in parts if p.number in OUTLINE_HEADINGS]
    agreeing = [
        p for p in numbered if normal_title(p.title) == normal_title(OUTLINE_HEADINGS[p.number])
    ]
    return len(numbered) >= 5 and 2 * len(agreeing) > len(numbered)


def _visible_blocks(found: tuple[Block, ...], notes: list[str]) -> tuple[Block, ...]:
    removed = 0
    cleaned: list[Block] = []
    for block in found:
        if isinstance(block, Paragraph):
            lines = []
            for line in block.lines:
                text, count = visible(line)
                removed += count
                lines.append(text)
            cleaned.append(Paragraph(tuple(lines)))
        else:
            items = []
            for item in block.items:
                text, count = visible(item)
                removed += count
                items.append(text)
            cleaned.append(type(block)(block.kind, tuple(items)))
    if removed:
        notes.append(f"{removed} characters nobody can see left out")
    return tuple(cleaned)


# -- placing the narrative --------------------------------------------------------------


def _place(
    parts: list[_Part], follows_m11: bool
) -> tuple[dict[str, str], tuple[SectionText, ...], str | None]:
    """Decide where each part goes (setting its rule and target); answer the outline's
    texts, the subsections and the holding section (if anything went there)."""
    taken: dict[str, _Part] = {}
    for priority in (1, 2, 3):
        for part in parts:
            if part.target is not None:
                continue
            target = _candidate(part, follows_m11, priority)
            if target is None:
                continue
            if target in taken:
                holder = taken[target]
                part.notes.append(
                    f"section {target} already holds the source's {holder.number or holder.title}"
                )
                continue
            taken[target] = part
            part.target = target
            part.rule = PlacementRule.BY_TITLE if priority == 2 else PlacementRule.BY_NUMBER
    for part in parts:
        if normal_title(part.title) == _TITLE_PAGE or part.number == "0":
            part.rule, part.target = PlacementRule.LEFT_OUT, None
            part.notes.append("the title page: its titles and identifiers are the trial's")
        elif (
            not part.found
            and part.target not in OUTLINE_HEADINGS
            and not _has_kept_child(part, parts)
        ):
            part.rule, part.target = PlacementRule.LEFT_OUT, None
            part.notes.append("empty")
    _keep_only_subsections_with_parents(parts)
    texts: dict[str, str] = {}
    subsections: dict[str, SectionText] = {}
    for part in parts:
        if part.target is None:
            continue
        if part.target in OUTLINE_HEADINGS:
            texts[part.target] = plain_text(part.found)
            heading = OUTLINE_HEADINGS[part.target]
            if part.title and normal_title(part.title) != normal_title(heading):
                part.notes.append(f"the outline's heading {heading!r} kept")
        else:
            subsections[part.target] = SectionText(
                number=part.target,
                heading=part.title or f"Section {part.target}",
                text=plain_text(part.found),
            )
    unplaced = [p for p in parts if p.rule is PlacementRule.UNPLACED]
    if not unplaced:
        return texts, tuple(subsections.values()), None
    held = [texts[HOLDING_SECTION]] if texts.get(HOLDING_SECTION) else []
    for part in unplaced:
        label = " ".join(x for x in (part.number, part.title) if x) or "untitled"
        held.append(plain_text((Paragraph((f"[Not placed] {label}",)), *part.found)))
        part.target = HOLDING_SECTION
    texts[HOLDING_SECTION] = "\n\n".join(held)
    return texts, tuple(subsections.values()), HOLDING_SECTION


def _candidate(part: _Part, follows_m11: bool, priority: int) -> str | None:
    """Where ``part`` would go at this priority: 1, by number where number and title
    agree, or a deeper subsection by its number; 2, by title; 3, by number alone."""
    number = part.number
    by_title = OUTLINE_BY_TITLE.get(normal_title(part.title)) if part.title else None
    in_outline = follows_m11 and number in OUTLINE_HEADINGS
    if priority == 1:
        deeper = (
            follows_m11
            and number not in OUTLINE_HEADINGS
            and m11.is_section_number(number)
            and not m11.is_fixed(number)
        )
        return number if (in_outline and by_title == number) or deeper else None
    if priority == 2:
        return by_title
    return number if in_outline else None


def _keep_only_subsections_with_parents(parts: list[_Part]) -> None:
    """A subsection whose parent the protocol will not have is not placed after all."""
    kept = set(OUTLINE_HEADINGS)
    deeper = [p for p in parts if p.target is not None and p.target not in OUTLINE_HEADINGS]
    for part in sorted(deeper, key=lambda p: m11.sort_key(p.target or "")):
        parent = m11.parent(part.target or "")
        if parent in kept:
            kept.add(part.target or "")
            continue
        part.notes.append(f"its parent section {parent} is not in the protocol")
        part.rule, part.target = PlacementRule.UNPLACED, None


def _has_kept_child(part: _Part, parts: list[_Part]) -> bool:
    """A deeper subsection with text sits under this one (which must then exist)."""
    if part.target is None or part.target in OUTLINE_HEADINGS:
        return False
    prefix = part.target + "."
    return any(p.target and p.target.startswith(prefix) and p.found for p in parts)


# -- amendments -------------------------------------------------------------------------


def _coded(code: dict[str, Any]) -> Coded:
    return Coded(
        code=_field(code["code"]),
        system=_field(code["codeSystem"]),
        system_version=_field(code["codeSystemVersion"]),
        decode=_field(code["decode"]),
    )


def _alias(alias: dict[str, Any] | None) -> Coded | None:
    return None if alias is None else _coded(alias["standardCode"])


def _scope(scope: dict[str, Any]) -> SourceScope:
    return SourceScope(kind=_coded(scope["type"]), area=_alias(scope.get("code")))


def _quantity(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _amendment(amendment: dict[str, Any]) -> SourceAmendment:
    def reason(r: dict[str, Any]) -> SourceReason:
        return SourceReason(code=_coded(r["code"]), other=_optional(r.get("otherReason")))

    return SourceAmendment(
        number=_field(amendment["number"]),
        name=_field(amendment["name"]),
        label=_optional(amendment.get("label")),
        summary=_field(amendment["summary"]),
        primary_reason=reason(amendment["primaryReason"]),
        secondary_reasons=tuple(reason(r) for r in amendment.get("secondaryReasons", [])),
        changes=tuple(
            SourceChange(
                name=_field(c["name"]),
                summary=_field(c["summary"]),
                rationale=_field(c["rationale"]),
                sections=tuple(
                    SourceSection(
                        number=_field(s["sectionNumber"]), title=_field(s["sectionTitle"])
                    )
                    for s in c["changedSections"]
                ),
            )
            for c in amendment["changes"]
        ),
        impacts=tuple(
            SourceImpact(
                kind=_coded(i["type"]), text=_field(i["text"]), substantial=i["isSubstantial"]
            )
            for i in amendment.get("impacts", [])
        ),
        scopes=tuple(_scope(s) for s in amendment["geographicScopes"]),
        enrollments=tuple(
            SourceEnrollment(
                name=_field(e["name"]),
                quantity=_quantity(e["quantity"]["value"]),
                unit=_alias(e["quantity"].get("unit")),
                scope=_scope(e["forGeographicScope"]) if e.get("forGeographicScope") else None,
            )
            for e in amendment.get("enrollments", [])
        ),
        dates=tuple(
            SourceDate(
                name=_field(d["name"]),
                kind=_coded(d["type"]),
                value=_field(d["dateValue"]),
                scopes=tuple(_scope(s) for s in d["geographicScopes"]),
            )
            for d in amendment.get("dateValues", [])
        ),
    )
