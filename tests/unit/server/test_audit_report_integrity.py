"""The audit report checks a trial's events against the signed tree at once: its leaves and
the complete subtrees between them fold to the tree's root (about 2 hashes an event, not
an inclusion proof each), and a leaf that is not the tree's does not."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime

import pytest

from events import RecordedEvent
from events.merkle import MemoryTree, event_leaf, fold
from server.audit.report.integrity import _gap_nodes, _LeftPart


def _hash(position: int) -> str:
    return hashlib.sha256(str(position).encode()).hexdigest()


def _event(position: int, digest: str | None = None) -> RecordedEvent:
    return RecordedEvent(
        position=position,
        stream_id="trial/t/protocol",
        stream_version=position,
        type="Noted",
        schema_version=1,
        data={},
        meta={},
        recorded_at=datetime(2026, 12, 4, tzinfo=UTC),
        prev_hash="",
        hash=digest or _hash(position),
    )


def _root_from(tree: MemoryTree, positions: list[int], size: int, page: int) -> bytes:
    """What the report's check computes: the trial's leaves, page by page, the subtrees
    between them read from the tree, then the subtrees after the last one."""
    left = _LeftPart()
    events = [_event(p) for p in positions]
    for start in range(0, len(events), page):
        chunk = events[start : start + page]
        gaps = _gap_nodes(left.size, [e.position - 1 for e in chunk])
        assert left.add_page(chunk, {node: tree.lookup(node) for node in gaps})
    for level, index in _gap_nodes(left.size, [size]) if left.size < size else []:
        left.add(level, index, tree.lookup((level, index)))
    return fold(left.nodes())


@pytest.mark.parametrize("seed", range(8))
def test_a_trials_leaves_and_the_subtrees_between_them_make_the_signed_root(seed: int) -> None:
    chance = random.Random(seed)
    head = chance.randint(1, 700)
    tree = MemoryTree(event_leaf(_hash(p)) for p in range(1, head + 1))
    size = chance.randint(1, head)
    share = chance.choice([0.05, 0.5, 0.9, 1.0])
    positions = [p for p in range(1, size + 1) if chance.random() < share] or [size]
    assert _root_from(tree, positions, size, page=chance.randint(1, 50)) == tree.root(size)


def test_an_event_whose_hash_is_not_the_trees_does_not_make_its_root() -> None:
    tree = MemoryTree(event_leaf(_hash(p)) for p in range(1, 101))
    left = _LeftPart()
    events = [_event(p) for p in range(1, 101, 3)]
    events[5] = _event(events[5].position, "0" * 64)
    gaps = _gap_nodes(0, [e.position - 1 for e in events])
    assert left.add_page(events, {node: tree.lookup(node) for node in gaps})
    assert fold(left.nodes()) != tree.root(100)


def test_subtrees_must_come_in_order() -> None:
    left = _LeftPart()
    left.add(0, 0, b"\x00" * 32)
    with pytest.raises(ValueError, match="does not start at leaf 1"):
        left.add(1, 1, b"\x00" * 32)
    assert not left.add_page([_event(1)], {})  # leaf 0 is taken: position 1 again
