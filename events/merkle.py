"""The Merkle tree over the log, exactly as RFC 9162 §2.1 defines it (pure: no I/O).

Leaf ``i`` (0-based) is the event at log position ``i + 1``; its input is the 32 bytes of
that event's ``hash``, so a leaf hash is SHA-256(0x00 || event hash) and a node is
SHA-256(0x01 || left || right). The tree of size ``n`` covers positions 1 to ``n``; the
empty tree's root is SHA-256 of nothing (docs/log-format.md).

Every hash the RFC's definitions ask for, MTH(D[a:b]) of a range, is made of *complete*
subtrees: the node at (``level``, ``index``) is the root of leaves ``index * 2**level`` to
``(index + 1) * 2**level - 1``. That is what a store keeps (events/merkle_store.py), so the
functions here work in two steps: which nodes a root or proof needs
(:func:`root_nodes`, :func:`inclusion_nodes`, :func:`consistency_nodes`), then the hashes
from those nodes' values (:func:`range_hash` over a :data:`NodeLookup`). The same code
serves an in-memory tree (:class:`MemoryTree`, tests and benchmarks) and the persisted one.

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) follows the RFC's
§2.1.3.2 and §2.1.4.2 algorithms and needs nothing but the proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree."""

Node = tuple[int, int]
"""(level, index) of a complete subtree: leaves index * 2**level .. (index + 1) * 2**level - 1."""

NodeLookup = Callable[[Node], bytes]
"""The hash of a complete subtree (KeyError if the tree does not have it)."""

Range = tuple[int, int]
"""Leaves ``start`` to ``end - 1`` (D[start:end] in the RFC)."""


class ProofError(ValueError):
    """A proof was asked for positions or sizes the tree cannot prove (says which)."""


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf(event_hash: str) -> bytes:
    """The leaf hash of an event, from its stored 64-hex-digit ``hash``."""
    return leaf_hash(bytes.fromhex(event_hash))


def split_point(size: int) -> int:
    """k, the largest power of two smaller than ``size`` (``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def complete_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees whose right fold is MTH(D[start:end]), left to right.

    ``start`` must be where the RFC's recursion puts a range: a multiple of the largest
    power of two not above ``end - start`` (always true of the ranges below)."""
    nodes: list[Node] = []
    while start < end:
        size = end - start
        width = size if size & (size - 1) == 0 else split_point(size)
        level = width.bit_length() - 1
        nodes.append((level, start >> level))
        start += width
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The right fold of the hashes of :func:`complete_nodes` (EMPTY_ROOT for none)."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def range_hash(section: Range, lookup: NodeLookup) -> bytes:
    """MTH(D[start:end]) from the complete subtrees' hashes."""
    return fold([lookup(node) for node in complete_nodes(*section)])


def root_nodes(size: int) -> list[Node]:
    """The nodes :func:`root` needs for the tree of ``size`` leaves."""
    return complete_nodes(0, size)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose MTHs are PATH(index, D[0:size]), in the proof's order (§2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()  # the recursion appends on the way back up: the deepest first
    return ranges


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges whose MTHs are PROOF(old, D[0:new]) (§2.1.4.1); empty when ``old`` is 0
    or equals ``new`` (nothing to prove beyond the roots)."""
    if not 0 <= old <= new:
        raise ProofError(f"a tree of size {old} cannot be a prefix of one of size {new}")
    if old in (0, new):
        return []
    ranges: list[Range] = []
    start, end, whole = 0, new, True
    m = old
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def nodes_of(ranges: Iterable[Range]) -> list[Node]:
    """Every complete subtree the ranges' MTHs need (each once, in first-use order)."""
    return list(dict.fromkeys(node for section in ranges for node in complete_nodes(*section)))


def inclusion_nodes(index: int, size: int) -> list[Node]:
    return nodes_of(inclusion_ranges(index, size))


def consistency_nodes(old: int, new: int) -> list[Node]:
    return nodes_of(consistency_ranges(old, new))


def root(size: int, lookup: NodeLookup) -> bytes:
    return range_hash((0, size), lookup)


def inclusion_proof(index: int, size: int, lookup: NodeLookup) -> list[bytes]:
    """PATH(index, D[0:size]): the audit path of leaf ``index`` (0-based)."""
    return [range_hash(section, lookup) for section in inclusion_ranges(index, size)]


def consistency_proof(old: int, new: int, lookup: NodeLookup) -> list[bytes]:
    """PROOF(old, D[0:new]): that the tree of size ``old`` is a prefix of that of ``new``."""
    return [range_hash(section, lookup) for section in consistency_ranges(old, new)]


def _is_hash(value: bytes) -> bool:
    return len(value) == HASH_SIZE


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: whether ``leaf`` (a leaf *hash*) is leaf ``index`` of the tree
    of ``size`` leaves with root ``root_hash``, by ``proof``."""
    if not 0 <= index < size or not all(map(_is_hash, [leaf, root_hash, *proof])):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _to_odd(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def _to_odd(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both until ``fn`` is odd or 0 (the RFC's step for a right child that
    is the last node of its level)."""
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether the tree of ``old`` leaves with root ``old_root`` is a
    prefix of the tree of ``new`` leaves with root ``new_root``, by ``proof``.

    Sizes equal: the proof is empty and the roots equal. ``old`` 0: the proof is empty
    (every tree extends the empty one) and ``old_root`` is the empty tree's."""
    if not 0 <= old <= new or not all(map(_is_hash, [old_root, new_root, *proof])):
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _to_odd(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class Frontier:
    """The right edge of a growing tree: the complete subtrees of its current size
    (at most one per level), from which the next leaf's new nodes follow."""

    __slots__ = ("_stack", "size")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        """The frontier of a tree of ``size`` leaves, from the hashes of
        :func:`root_nodes(size) <root_nodes>` (in that order)."""
        expected = root_nodes(size)
        if len(nodes) != len(expected):
            raise ValueError(f"a tree of size {size} has {len(expected)} frontier nodes")
        self.size = size
        self._stack: list[tuple[Node, bytes]] = list(zip(expected, nodes, strict=True))

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add a leaf hash; return every node that became complete (the leaf first)."""
        node = (0, self.size)
        made = [(node, leaf)]
        value = leaf
        stack = self._stack
        while stack and stack[-1][0][0] == node[0]:
            (level, index), left = stack.pop()
            node, value = (level + 1, index >> 1), node_hash(left, value)
            made.append((node, value))
        stack.append((node, value))
        self.size += 1
        return made

    def root(self) -> bytes:
        return fold([value for _, value in self._stack])


class MemoryTree:
    """A whole tree in memory (every complete subtree): for tests and benchmarks."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.nodes: dict[Node, bytes] = {}
        self._frontier = Frontier()
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self._frontier.size

    def append(self, leaf: bytes) -> None:
        self.nodes.update(self._frontier.append(leaf))

    def lookup(self, node: Node) -> bytes:
        return self.nodes[node]

    def root(self, size: int | None = None) -> bytes:
        if size is None:
            return self._frontier.root()
        if not 0 <= size <= self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {size}")
        return root(size, self.lookup)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        if size > self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {size}")
        return inclusion_proof(index, size, self.lookup)

    def consistency(self, old: int, new: int) -> list[bytes]:
        if new > self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {new}")
        return consistency_proof(old, new, self.lookup)
