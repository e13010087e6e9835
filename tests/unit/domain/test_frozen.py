"""Read-only mappings for immutable state."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from domain.frozen import appended, frozen_list, frozen_map, with_entry, without_entry


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


def test_a_frozen_map_keeps_the_order_keys_were_first_added_in() -> None:
    frozen = with_entry(with_entry(frozen_map({"b": 1}), "a", 2), "c", 3)
    changed = with_entry(frozen, "b", 9)
    assert list(changed.items()) == [("b", 9), ("a", 2), ("c", 3)]
    assert list(without_entry(changed, "a")) == ["b", "c"]
    assert list(with_entry(without_entry(changed, "b"), "b", 0)) == ["a", "c", "b"]


def test_a_long_chain_of_changes_leaves_every_earlier_map_as_it_was() -> None:
    versions: list[Mapping[str, int]] = [frozen_map()]
    for n in range(2_000):
        versions.append(with_entry(versions[-1], f"k{n}", n))
    assert len(versions[1_000]) == 1_000
    assert "k999" in versions[1_000]
    assert "k1000" not in versions[1_000]
    assert list(versions[-1].values()) == list(range(2_000))


def test_appending_to_a_frozen_list_leaves_the_old_list_alone() -> None:
    first = frozen_list([1, 2])
    second = appended(first, 3)
    assert (list(first), list(second)) == ([1, 2], [1, 2, 3])
    assert list(appended((1,), 2)) == [1, 2]
