"""Concord's Merkle tree (events/merkle.py) against the RFC 9162 reference in tests/rfc9162.py:
the same roots and proofs for every size up to 300, proofs the reference verifies, and
Concord's verifier refusing any tampered proof, leaf, size or root."""

from __future__ import annotations

import hashlib
import random

import pytest

from events import merkle
from tests import rfc9162

SIZES = 300
ENTRIES = [hashlib.sha256(f"event {i}".encode()).digest() for i in range(SIZES)]
TREE = merkle.MemoryTree(merkle.leaf_hash(entry) for entry in ENTRIES)
ROOTS = [rfc9162.mth(ENTRIES[:size]) for size in range(SIZES + 1)]


def test_the_roots_are_the_rfcs_for_every_size() -> None:
    assert hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
    for size in range(SIZES + 1):
        assert TREE.root(size) == ROOTS[size], size
    assert TREE.root() == ROOTS[SIZES]


def test_a_growing_tree_has_the_rfcs_root_after_every_leaf() -> None:
    frontier = merkle.Frontier()
    for size, entry in enumerate(ENTRIES, start=1):
        frontier.append(merkle.leaf_hash(entry))
        assert frontier.root() == ROOTS[size]


def test_inclusion_proofs_for_every_leaf_of_every_size_are_the_rfcs_and_verify() -> None:
    for size in range(1, SIZES + 1):
        for index in range(size):
            proof = TREE.inclusion(index, size)
            if size <= 64 or index in (0, size // 2, size - 1):  # the slow definition
                assert proof == rfc9162.path(index, ENTRIES[:size]), (index, size)
            assert rfc9162.verify_inclusion(index, size, ENTRIES[index], proof, ROOTS[size])
            leaf = merkle.leaf_hash(ENTRIES[index])
            assert merkle.verify_inclusion(index, size, leaf, proof, ROOTS[size])


def test_consistency_proofs_for_every_pair_of_sizes_are_the_rfcs_and_verify() -> None:
    for new in range(1, SIZES + 1, 7):
        for old in range(1, new + 1):
            proof = TREE.consistency(old, new)
            assert proof == rfc9162.proof(old, ENTRIES[:new]), (old, new)
            assert merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)
            if old < new:
                assert rfc9162.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def test_consistency_for_random_pairs_of_large_trees() -> None:
    rng = random.Random(22)
    entries = [rng.randbytes(32) for _ in range(3000)]
    tree = merkle.MemoryTree(merkle.leaf_hash(entry) for entry in entries)
    for _ in range(60):
        new = rng.randint(2, len(entries))
        old = rng.randint(1, new - 1)
        proof = tree.consistency(old, new)
        old_root, new_root = rfc9162.mth(entries[:old]), rfc9162.mth(entries[:new])
        assert tree.root(old) == old_root
        assert tree.root(new) == new_root
        assert rfc9162.verify_consistency(old, new, old_root, new_root, proof)
        index = rng.randrange(new)
        inclusion = tree.inclusion(index, new)
        assert rfc9162.verify_inclusion(index, new, entries[index], inclusion, new_root)


def test_the_empty_and_equal_sizes_are_consistent_with_an_empty_proof() -> None:
    assert TREE.consistency(0, 10) == []
    assert TREE.consistency(10, 10) == []
    assert merkle.verify_consistency(0, 10, merkle.EMPTY_ROOT, ROOTS[10], [])
    assert merkle.verify_consistency(10, 10, ROOTS[10], ROOTS[10], [])
    assert not merkle.verify_consistency(10, 10, ROOTS[10], ROOTS[9], [])
    assert not merkle.verify_consistency(0, 10, ROOTS[1], ROOTS[10], [])
    assert not merkle.verify_consistency(10, 10, ROOTS[10], ROOTS[10], [ROOTS[10]])


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def test_a_tampered_inclusion_proof_leaf_size_index_or_root_is_refused() -> None:
    rng = random.Random(9162)
    for _ in range(200):
        size = rng.randint(2, SIZES)
        index = rng.randrange(size)
        proof, leaf, root = TREE.inclusion(index, size), TREE.lookup((0, index)), ROOTS[size]
        assert merkle.verify_inclusion(index, size, leaf, proof, root)
        assert not merkle.verify_inclusion(index, size, _flip(leaf), proof, root)
        assert not merkle.verify_inclusion(index, size, leaf, proof, _flip(root))
        spot = rng.randrange(len(proof))
        tampered = [*proof[:spot], _flip(proof[spot]), *proof[spot + 1 :]]
        assert not merkle.verify_inclusion(index, size, leaf, tampered, root)
        assert not merkle.verify_inclusion(index, size, leaf, proof[:-1], root)
        assert not merkle.verify_inclusion(index, size, leaf, [*proof, root], root)
        assert not merkle.verify_inclusion(index, size + 1, leaf, proof, ROOTS[size + 1])
        other = (index + 1) % size
        assert not merkle.verify_inclusion(other, size, leaf, proof, root)
        assert not merkle.verify_inclusion(index, size, leaf, [p[:31] for p in proof], root)
        # the leaf input in place of the leaf hash is not the leaf
        assert not merkle.verify_inclusion(index, size, ENTRIES[index], proof, root)


def test_a_tampered_consistency_proof_size_or_root_is_refused() -> None:
    rng = random.Random(6962)
    for _ in range(200):
        new = rng.randint(3, SIZES)
        old = rng.randint(1, new - 1)
        proof = TREE.consistency(old, new)
        assert merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)
        assert not merkle.verify_consistency(old, new, _flip(ROOTS[old]), ROOTS[new], proof)
        assert not merkle.verify_consistency(old, new, ROOTS[old], _flip(ROOTS[new]), proof)
        spot = rng.randrange(len(proof))
        tampered = [*proof[:spot], _flip(proof[spot]), *proof[spot + 1 :]]
        assert not merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], tampered)
        assert not merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof[:-1])
        assert not merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], [])
        # the same proof does not show the old tree a prefix of a tree of another size
        assert not merkle.verify_consistency(old, new - 1, ROOTS[old], ROOTS[new - 1], proof)
        assert not merkle.verify_consistency(new, old, ROOTS[new], ROOTS[old], proof)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (-1, 3)])
def test_an_inclusion_proof_of_a_leaf_outside_the_tree_is_not_made(index: int, size: int) -> None:
    with pytest.raises(merkle.ProofError):
        TREE.inclusion(index, size)
    assert not merkle.verify_inclusion(index, size, ENTRIES[0], [], ROOTS[1])


def test_proofs_are_not_made_beyond_the_tree_or_backwards() -> None:
    with pytest.raises(merkle.ProofError):
        TREE.inclusion(0, SIZES + 1)
    with pytest.raises(merkle.ProofError):
        TREE.consistency(5, 4)
    with pytest.raises(merkle.ProofError):
        TREE.consistency(5, SIZES + 1)
    with pytest.raises(merkle.ProofError):
        TREE.root(SIZES + 1)


def test_a_proof_needs_only_logarithmically_many_nodes() -> None:
    size = 1_000_000
    assert len(merkle.inclusion_nodes(123_456, size)) <= 2 * size.bit_length()
    assert len(merkle.consistency_nodes(654_321, size)) <= 2 * size.bit_length()
    assert len(merkle.root_nodes(size)) == bin(size).count("1")
