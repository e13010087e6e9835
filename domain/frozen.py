"""Read-only mappings for immutable state: every change returns a new mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def frozen_map(items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> Mapping[K, V]:
    """A read-only copy of ``items``; later changes to the source do not show through."""
    return MappingProxyType(dict(items))


def with_entry(mapping: Mapping[K, V], key: K, value: V) -> Mapping[K, V]:
    """A copy of ``mapping`` where ``key`` maps to ``value``."""
    return frozen_map({**mapping, key: value})


def without_entry(mapping: Mapping[K, V], key: K) -> Mapping[K, V]:
    """A copy of ``mapping`` without ``key`` (unchanged when it is absent)."""
    return frozen_map((k, v) for k, v in mapping.items() if k != key)
