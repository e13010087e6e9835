"""The decoded states an audit history keeps: least recently used dropped first, past a
budget of bytes."""

from __future__ import annotations

import pytest

from server.audit.resident_states import ResidentStates


def test_the_least_recently_used_goes_first_past_the_budget() -> None:
    kept = ResidentStates(budget=30)
    kept.keep(("t", "a", 1), "A", 10)
    kept.keep(("t", "b", 1), "B", 10)
    kept.keep(("t", "c", 1), "C", 10)
    assert kept.get(("t", "a", 1)) == "A"  # now the most recently used
    kept.keep(("t", "d", 1), "D", 10)
    assert kept.get(("t", "b", 1)) is None
    assert [kept.get(("t", s, 1)) for s in "acd"] == ["A", "C", "D"]
    assert (len(kept), kept.cost) == (3, 30)


def test_keeping_a_key_again_replaces_it_and_its_cost() -> None:
    kept = ResidentStates(budget=100)
    kept.keep(("t", "a", 1), "old", 60)
    kept.keep(("t", "a", 1), "new", 30)
    assert (kept.get(("t", "a", 1)), kept.cost, len(kept)) == ("new", 30, 1)


def test_a_state_over_the_budget_alone_is_not_kept() -> None:
    kept = ResidentStates(budget=10)
    kept.keep(("t", "a", 1), "A", 5)
    kept.keep(("t", "big", 1), "B", 11)
    assert (len(kept), kept.cost) == (0, 0)


def test_a_trial_is_forgotten_alone_and_everything_on_clear() -> None:
    kept = ResidentStates()
    kept.keep(("t1", "a", 1), "A", 5)
    kept.keep(("t2", "a", 1), "B", 7)
    kept.forget_trial("t1")
    assert (kept.get(("t1", "a", 1)), kept.get(("t2", "a", 1)), kept.cost) == (None, "B", 7)
    kept.clear()
    assert (len(kept), kept.cost) == (0, 0)


def test_a_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="0 bytes or more"):
        ResidentStates(budget=-1)
