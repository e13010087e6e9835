"""What one event changed in a state: every value that differs, as a path into the state's
JSON (``members.u-7.roles[0]``) with its old and new value as JSON text.

Domain states are immutable and each event makes a new one that shares every part it did
not change (the very same objects). So the diff walks the two states side by side and
skips any part that is the same object in both: its cost follows what the event changed,
not the size of the state (encoding a thread's whole map of comments before and after
each comment made its trail quadratic: 5,000 comments took 266 s).

Two kinds of collection are not walked entry by entry:

- a mapping of more than :data:`SCAN_LIMIT` entries (a thread's comments, a motion's
  votes): only the keys the event names in its data are compared (an event changes an
  entry by naming it: ``comment_id``, ``voter_id``); if the number of entries added and
  removed among them does not explain the change in size, every entry is compared;
- a sequence the state keeps the latest items of (a section's latest revisions): when
  the new one is the old one with its first items dropped and as many appended, only the
  appended items are reported, as added at their index (what the state forgets is not a
  change of the record).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from domain.codec import JsonValue, encode

SCAN_LIMIT = 256
"""Mappings up to this size are compared entry by entry."""

_ABSENT: Any = object()


def changed_values(
    before: Any, after: Any, named: Collection[str] = (), *, scan_limit: int = SCAN_LIMIT
) -> list[tuple[str, str, str]]:
    """(field, old, new) for every leaf of the states' JSON that differs, values as JSON
    text ("" if absent): first the fields ``before`` had, then those only ``after`` has.
    ``named``: the text values in the event's data (the keys it may have changed)."""
    diff = _Diff(frozenset(named), scan_limit)
    diff.compare("", before, after)
    return diff.changed + diff.added


def named_in(data: Any) -> set[str]:
    """Every text value in an event's data, however deep: the keys it can name."""
    found: set[str] = set()
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(value: Any) -> tuple[str, ...]:
    """The fields of a dataclass instance, in the order its JSON has them."""
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    return names


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Diff:
    def __init__(self, named: frozenset[str], scan_limit: int) -> None:
        self.named = named
        self.scan_limit = scan_limit
        self.changed: list[tuple[str, str, str]] = []
        self.added: list[tuple[str, str, str]] = []

    def compare(self, path: str, old: Any, new: Any) -> None:
        if old is new:
            return
        if type(old) is type(new) and dataclasses.is_dataclass(old) and _field_names(old):
            for name in _field_names(old):
                self.compare(_join(path, name), getattr(old, name), getattr(new, name))
        elif isinstance(old, Mapping) and isinstance(new, Mapping) and old and new:
            self._compare_mappings(path, old, new)
        elif _is_sequence(old) and _is_sequence(new) and old and new:
            self._compare_sequences(path, old, new)
        else:
            self._compare_leaves(path, old, new)

    def _compare_mappings(self, path: str, old: Mapping[Any, Any], new: Mapping[Any, Any]) -> None:
        keys = self._keys_to_compare(old, new)
        for key in keys:
            was, now = old.get(key, _ABSENT), new.get(key, _ABSENT)
            self.compare(_join(path, str(encode(key))), was, now)

    def _keys_to_compare(self, old: Mapping[Any, Any], new: Mapping[Any, Any]) -> Iterator[Any]:
        if len(old) > self.scan_limit or len(new) > self.scan_limit:
            named = [key for key in self.named if key in old or key in new]
            added = sum(1 for key in named if key not in old)
            removed = sum(1 for key in named if key not in new)
            if len(new) - len(old) == added - removed:
                yield from sorted(named, key=lambda key: (key not in old, key))
                return
        yield from old
        yield from (key for key in new if key not in old)

    def _compare_sequences(self, path: str, old: Sequence[Any], new: Sequence[Any]) -> None:
        dropped = _dropped_from_window(old, new)
        if dropped:
            for index in range(len(new) - dropped, len(new)):
                self.compare(f"{path}[{index}]", _ABSENT, new[index])
            return
        for index in range(max(len(old), len(new))):
            was = old[index] if index < len(old) else _ABSENT
            now = new[index] if index < len(new) else _ABSENT
            self.compare(f"{path}[{index}]", was, now)

    def _compare_leaves(self, path: str, old: Any, new: Any) -> None:
        was = dict(_leaves(encode(old), path)) if old is not _ABSENT else {}
        now = dict(_leaves(encode(new), path)) if new is not _ABSENT else {}
        for leaf, value in was.items():
            other = now.get(leaf, _ABSENT)
            if other != value:
                self.changed.append((leaf, _text(value), _text(other)))
        for leaf, value in now.items():
            if leaf not in was:
                self.added.append((leaf, "", _text(value)))


def _dropped_from_window(old: Sequence[Any], new: Sequence[Any]) -> int:
    """How many items ``new`` drops from the start of ``old`` and appends as many of, when
    it is the same length and keeps the rest (0 if it is not such a slide)."""
    if len(old) != len(new) or new[0] is old[0]:
        return 0
    first = new[0]
    dropped = next((i for i in range(1, len(old)) if old[i] is first), 0)
    if dropped and all(a is b for a, b in zip(old[dropped:], new, strict=False)):
        return dropped
    return 0


def _leaves(value: JsonValue, path: str) -> Iterator[tuple[str, JsonValue]]:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _leaves(inner, _join(path, str(key)))
    elif isinstance(value, list) and value:
        for index, inner in enumerate(value):
            yield from _leaves(inner, f"{path}[{index}]")
    else:
        yield path, value


def _text(value: Any) -> str:
    return "" if value is _ABSENT else json.dumps(value, ensure_ascii=False)
