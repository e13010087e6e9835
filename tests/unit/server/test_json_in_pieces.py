"""A large state's JSON, written in pieces, is the same bytes as one encoding of it."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from server.commands.json_in_pieces import NODES, encoded_in_pieces


def comment(n: int) -> dict[str, Any]:
    return {"comment_id": f"C-{n}", "text": f"Comment {n}", "replies": [n, None, True]}


def same(value: Any, nodes: int = NODES) -> None:
    assert encoded_in_pieces(value, nodes) == msgspec.json.encode(value)


def test_a_thread_of_many_comments_is_the_same_json() -> None:
    same({"trial_id": "t-1", "comments": {f"C-{n}": comment(n) for n in range(5_000)}})


def test_a_long_list_deep_inside_small_objects_is_the_same_json() -> None:
    revisions = [{"text": f"r{n}", "by": ["u-1"]} for n in range(3 * NODES)]
    same({"sections": {"1": {"title": "One", "revisions": revisions}, "2": {}}, "n": 1})


def test_lists_of_large_items_and_edges_are_the_same_json() -> None:
    big = list(range(NODES))
    same([big, [], {}, big, "tail"])
    same({"": big, "a": {}, "b": []})
    same(list(range(NODES - 1)))
    same({str(n): n for n in range(NODES + 1)})
    same([])
    same("just text")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=40)
        | st.dictionaries(st.text(max_size=4), children, max_size=40)
    ),
    max_leaves=200,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.integers(min_value=1, max_value=30))
def test_any_json_value_cut_anywhere_is_the_same_json(value: Any, nodes: int) -> None:
    same(value, nodes)
