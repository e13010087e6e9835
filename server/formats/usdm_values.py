"""The small USDM classes every part of an export writes, and reading them back.

``Code``, ``AliasCode``, ``GeographicScope``, ``GovernanceDate`` and
``ExtensionAttribute``, each built from a CDISC term (:mod:`server.formats.usdm_terms`)
or from a value an import kept as its file coded it (:class:`domain.imports.Coded`),
with the id it is given. :func:`first` and :func:`extension_values` find what was written
(for tests and readers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from domain.imports import Coded
from server.formats import usdm_terms as terms

Json = dict[str, Any]


def coded_term(coded: Coded) -> terms.Term:
    """A value an import kept, as the term it is written with again."""
    return terms.Term(coded.code, coded.decode, coded.system, coded.system_version)


def code(owner: str, term: terms.Term) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "code": term.code,
        "codeSystem": term.system,
        "codeSystemVersion": term.version,
        "decode": term.decode,
        "instanceType": "Code",
    }


def alias(owner: str, term: terms.Term) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "standardCode": code(f"{owner}_standard", term),
        "standardCodeAliases": [],
        "instanceType": "AliasCode",
    }


def scope(owner: str, kind: terms.Term, area: terms.Term | None = None) -> Json:
    """A ``GeographicScope``: global, or a country (or region) named by ``area``."""
    return {
        "id": owner,
        "extensionAttributes": [],
        "type": code(f"{owner}_type", kind),
        "code": None if area is None else alias(f"{owner}_code", area),
        "instanceType": "GeographicScope",
    }


def governance_date(
    owner: str,
    kind: terms.Term,
    value: str,
    *,
    name: str | None = None,
    scopes: list[Json] | None = None,
) -> Json:
    """A ``GovernanceDate`` named by its kind (unless ``name``), global (unless ``scopes``)."""
    return {
        "id": owner,
        "extensionAttributes": [],
        "name": kind.decode if name is None else name,
        "label": kind.decode,
        "description": None,
        "type": code(f"{owner}_type", kind),
        "dateValue": value,
        "geographicScopes": [scope(f"{owner}_scope", terms.GLOBAL)] if scopes is None else scopes,
        "instanceType": "GovernanceDate",
    }


def extension(owner: str, url: str, value: str | None = None, integer: int | None = None) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "url": url,
        "valueString": value,
        "valueBoolean": None,
        "valueInteger": integer,
        "valueId": None,
        "valueQuantity": None,
        "valueRange": None,
        "valueCode": None,
        "valueAliasCode": None,
        "valueExtensionClass": None,
        "instanceType": "ExtensionAttribute",
    }


def first(items: Iterable[Json], **wanted: Any) -> Json | None:
    """The first item whose fields have the wanted values (for tests and readers)."""
    return next((i for i in items if all(i.get(k) == v for k, v in wanted.items())), None)


def extension_values(item: Json, url: str) -> Sequence[Any]:
    """The values of an item's extension attributes named ``url``."""
    return [
        e["valueString"] if e["valueInteger"] is None else e["valueInteger"]
        for e in item.get("extensionAttributes", [])
        if e.get("url") == url
    ]
