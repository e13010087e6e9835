"""The amendments a USDM file lists, kept as history (``docs/formats.md``).

Every ``StudyAmendment`` the file's study versions list, once, oldest first (in the order
their ``previousId`` links give, else as listed), each read into a
:class:`domain.imports.SourceAmendment`: number, summary, reasons, changes with the
sections they name, impacts, scopes, enrollments and dates, every code as the file has it.
Nothing here makes an amendment of this trial.
"""

from __future__ import annotations

from typing import Any

from domain.imports import (
    SourceAmendment,
    SourceChange,
    SourceDate,
    SourceEnrollment,
    SourceImpact,
    SourceReason,
    SourceScope,
    SourceSection,
)
from server.formats.usdm_import_fields import (
    alias_coded,
    coded,
    decimal_text,
    optional_field,
    text_field,
)


def listed_amendments(versions: list[dict[str, Any]]) -> tuple[SourceAmendment, ...]:
    """The amendments the study ``versions`` list, read, oldest first."""
    return tuple(_amendment(a) for a in _in_order(versions))


def _in_order(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every amendment the study versions list, once, in the order their ``previousId``
    links give (else as listed)."""
    listed: dict[str, dict[str, Any]] = {}
    for version in versions:
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


def _scope(scope: dict[str, Any]) -> SourceScope:
    return SourceScope(kind=coded(scope["type"]), area=alias_coded(scope.get("code")))


def _reason(reason: dict[str, Any]) -> SourceReason:
    return SourceReason(code=coded(reason["code"]), other=optional_field(reason.get("otherReason")))


def _amendment(amendment: dict[str, Any]) -> SourceAmendment:
    return SourceAmendment(
        number=text_field(amendment["number"]),
        name=text_field(amendment["name"]),
        label=optional_field(amendment.get("label")),
        summary=text_field(amendment["summary"]),
        primary_reason=_reason(amendment["primaryReason"]),
        secondary_reasons=tuple(_reason(r) for r in amendment.get("secondaryReasons", [])),
        changes=tuple(
            SourceChange(
                name=text_field(c["name"]),
                summary=text_field(c["summary"]),
                rationale=text_field(c["rationale"]),
                sections=tuple(
                    SourceSection(
                        number=text_field(s["sectionNumber"]), title=text_field(s["sectionTitle"])
                    )
                    for s in c["changedSections"]
                ),
            )
            for c in amendment["changes"]
        ),
        impacts=tuple(
            SourceImpact(
                kind=coded(i["type"]), text=text_field(i["text"]), substantial=i["isSubstantial"]
            )
            for i in amendment.get("impacts", [])
        ),
        scopes=tuple(_scope(s) for s in amendment["geographicScopes"]),
        enrollments=tuple(
            SourceEnrollment(
                name=text_field(e["name"]),
                quantity=decimal_text(e["quantity"]["value"]),
                unit=alias_coded(e["quantity"].get("unit")),
                scope=_scope(e["forGeographicScope"]) if e.get("forGeographicScope") else None,
            )
            for e in amendment.get("enrollments", [])
        ),
        dates=tuple(
            SourceDate(
                name=text_field(d["name"]),
                kind=coded(d["type"]),
                value=text_field(d["dateValue"]),
                scopes=tuple(_scope(s) for s in d["geographicScopes"]),
            )
            for d in amendment.get("dateValues", [])
        ),
    )
