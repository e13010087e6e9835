"""Validation against the official USDM v4 schema, and the bounds a file must keep.

The schema is CDISC's ``USDM_API.json`` (shipped in ``usdm_schema/``, MIT): a file is
valid when its ``Wrapper-Input`` schema, JSON Schema Draft 2020-12, accepts it. The
document is registered with ``referencing`` under its own URI, so its
``#/components/schemas/...`` references resolve inside it. ``jsonschema`` is imported by
the first validation, not when the server starts (a tenth of a second it rarely needs).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_URI = "urn:cdisc:usdm:4.0.0:api"
WRAPPER = f"{SCHEMA_URI}#/components/schemas/Wrapper-Input"
FIRST_ERRORS = 10
"""How many of a file's errors a refusal names."""


@dataclass(frozen=True, slots=True)
class SchemaError:
    """Where a file breaks the schema (a JSON path) and how."""

    path: str
    message: str


def api_document() -> dict[str, Any]:
    """CDISC's USDM v4 API document, as shipped with Concord."""
    text = resources.files("server.formats").joinpath("usdm_schema/USDM_API.json").read_text()
    document: dict[str, Any] = json.loads(text)
    return document


@functools.cache
def wrapper_validator() -> Draft202012Validator:
    """A Draft 2020-12 validator of whole USDM files (built once per process)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(api_document(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SCHEMA_URI, resource)
    return Draft202012Validator({"$ref": WRAPPER}, registry=registry)


def schema_errors(document: Any, *, limit: int = FIRST_ERRORS) -> list[SchemaError]:
    """The file's first ``limit`` errors, most relevant first (none: it is valid USDM v4).

    An error inside an ``anyOf`` (a field that may be null, say) names the alternative
    that came closest rather than "not valid under any of the given schemas"."""
    from jsonschema.exceptions import relevance

    errors = sorted(wrapper_validator().iter_errors(document), key=relevance)
    return [_specific(error) for error in errors[:limit]]


def _specific(error: ValidationError) -> SchemaError:
    from jsonschema.exceptions import best_match

    closest = best_match([error]) if error.context else error
    return SchemaError(closest.json_path, closest.message[:500])
