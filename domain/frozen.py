"""Read-only collections for immutable state: every change returns a new collection that
shares all but a few nodes with the old one, so a fold stays linear in its events.

A state is never changed in place, and each event makes a new state. If that meant
copying a thread's map of comments per comment, folding a thread of n comments would
cost n²/2 copies (40,000 comments took 91 s). :class:`FrozenMap` and :func:`appended`
are persistent structures (pyrsistent's hash array mapped trie and vector): a change
costs O(log₃₂ n) and the old value stays valid and unchanged.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from typing import Any, TypeVar

from pyrsistent import PMap, PVector, pmap, pvector

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class FrozenMap(Mapping[K, V]):
    """An immutable mapping that keeps its keys in the order they were first added (as a
    dict does); :meth:`set` and :meth:`remove` answer new maps.

    Its keys and values are two persistent vectors in that order, and a persistent map
    gives each key's index: iterating (keys, values, items) walks the vectors, a lookup
    costs one trie lookup, and changing a value replaces one slot."""

    __slots__ = ("_index", "_keys", "_values")

    def __init__(self, keys: PVector[K], values: PVector[V], index: PMap[K, int]) -> None:
        self._keys = keys
        self._values = values
        self._index = index

    def __getitem__(self, key: K) -> V:
        return self._values[self._index[key]]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"FrozenMap({dict(self.items())!r})"

    def items(self) -> ItemsView[K, V]:
        return _Items(self)

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def set(self, key: K, value: V) -> FrozenMap[K, V]:
        """This map with ``key`` mapped to ``value`` (an existing key keeps its place)."""
        at = self._index.get(key)
        if at is None:
            index = self._index.set(key, len(self))
            return FrozenMap(self._keys.append(key), self._values.append(value), index)
        return FrozenMap(self._keys, self._values.set(at, value), self._index)

    def remove(self, key: K) -> FrozenMap[K, V]:
        """This map without ``key`` (itself when it is absent). Linear in the map's size:
        removals are rare (a resolved conflict, a withdrawn change)."""
        if key not in self._index:
            return self
        return frozen_map((k, v) for k, v in self.items() if k != key)


class _Items(ItemsView[K, V]):
    _mapping: FrozenMap[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return zip(self._mapping._keys, self._mapping._values, strict=True)


class _Values(ValuesView[V]):
    _mapping: FrozenMap[Any, V]

    def __iter__(self) -> Iterator[V]:
        return iter(self._mapping._values)


def frozen_map(items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> FrozenMap[K, V]:
    """A read-only copy of ``items``; later changes to the source do not show through."""
    entries = dict(items)
    index = pmap({key: at for at, key in enumerate(entries)})
    return FrozenMap(pvector(entries), pvector(entries.values()), index)


def with_entry(mapping: Mapping[K, V], key: K, value: V) -> Mapping[K, V]:
    """``mapping`` with ``key`` mapped to ``value``."""
    return _frozen(mapping).set(key, value)


def without_entry(mapping: Mapping[K, V], key: K) -> Mapping[K, V]:
    """``mapping`` without ``key`` (unchanged when it is absent)."""
    return _frozen(mapping).remove(key)


def frozen_list(items: Iterable[T] = ()) -> Sequence[T]:
    """An immutable sequence of ``items`` that :func:`appended` extends cheaply."""
    return pvector(items)


def appended(items: Sequence[T], item: T) -> Sequence[T]:
    """``items`` followed by ``item``, in O(1) amortized for a :func:`frozen_list`."""
    vector = items if isinstance(items, PVector) else pvector(items)
    return vector.append(item)


def _frozen(mapping: Mapping[K, V]) -> FrozenMap[K, V]:
    return mapping if isinstance(mapping, FrozenMap) else frozen_map(mapping)
