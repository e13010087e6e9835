"""Read-only mappings for immutable state."""

from __future__ import annotations

import pytest

from domain.frozen import frozen_map, with_entry, without_entry


def test_a_frozen_map_cannot_be_changed_nor_see_its_source_change() -> None:
    source = {"a": 1}
    frozen = frozen_map(source)
    source["b"] = 2
    assert frozen == {"a": 1}
    with pytest.raises(TypeError):
        frozen["c"] = 3  # type: ignore[index]


def test_changes_return_new_maps_and_leave_the_old_one_alone() -> None:
    frozen = frozen_map({"a": 1})
    assert with_entry(frozen, "b", 2) == {"a": 1, "b": 2}
    assert without_entry(frozen, "a") == {}
    assert without_entry(frozen, "zz") == {"a": 1}
    assert frozen == {"a": 1}
