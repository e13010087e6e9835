"""JSON Schema for the shapes :mod:`domain.codec` reads, derived from the same type hints.

Dataclasses become named components (``#/components/schemas/Name``), so the OpenAPI
document shows the domain's vocabulary once and refers to it everywhere.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any


class SchemaBuilder:
    """Collects component schemas while turning annotations into JSON Schema."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}

    def object_of(self, fields: Mapping[str, Any], required: set[str]) -> dict[str, Any]:
        """An object with these fields (name -> annotation), the ``required`` ones required."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: self.schema(hint) for name, hint in fields.items()},
            "additionalProperties": False,
        }
        if required:
            schema["required"] = sorted(required)
        return schema

    def schema(self, annotation: Any) -> dict[str, Any]:
        origin = typing.get_origin(annotation)
        if origin is types.UnionType or origin is typing.Union:
            members = [m for m in typing.get_args(annotation) if m is not type(None)]
            return {"anyOf": [self.schema(members[0]), {"type": "null"}]}
        if origin in (tuple, frozenset):
            items = self.schema(typing.get_args(annotation)[0])
            return {
                "type": "array",
                "items": items,
                **({"uniqueItems": True} if origin is frozenset else {}),
            }
        if origin is Mapping:
            key_type, value_type = typing.get_args(annotation)
            schema: dict[str, Any] = {
                "type": "object",
                "additionalProperties": self.schema(value_type),
            }
            if isinstance(key_type, type) and issubclass(key_type, enum.Enum):
                schema["propertyNames"] = {"enum": [member.value for member in key_type]}
            return schema
        if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            return self._component(annotation)
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return {"type": "string", "enum": [member.value for member in annotation]}
        if annotation is datetime:
            return {"type": "string", "format": "date-time"}
        if annotation is date:
            return {"type": "string", "format": "date"}
        if annotation is bool:
            return {"type": "boolean"}
        if annotation is int:
            return {"type": "integer"}
        if annotation is str:
            return {"type": "string"}
        if annotation is type(None):
            return {"type": "null"}
        raise TypeError(f"no JSON Schema for {annotation!r}")

    def _component(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.components:
            self.components[name] = {}  # a placeholder ends recursion through self-reference
            hints = typing.get_type_hints(cls)
            fields = dataclasses.fields(cls)
            required = {
                f.name
                for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            }
            self.components[name] = self.object_of(
                {f.name: hints[f.name] for f in fields}, required
            )
        return {"$ref": f"#/components/schemas/{name}"}


def required_fields(cls: type, names: set[str]) -> set[str]:
    """Which of ``names`` the dataclass ``cls`` requires (no default)."""
    return {
        f.name
        for f in dataclasses.fields(cls)
        if f.name in names
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    }
