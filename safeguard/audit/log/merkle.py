"""The log's Merkle tree (RFC 9162, 2.1): appending leaves, roots, and proofs.

The sequencer keeps only the tree's compact range, the roots of its perfect subtrees (at most
64), so appending costs O(1) hashes on average. Every perfect subtree it completes is stored,
so any proof needs only O(log n) stored hashes. The checks are in `proofcheck`, which stands
alone so an outsider can run it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from safeguard.audit.log.proofcheck import leaf_hash, node_hash

__all__ = ["CompactRange", "Node", "consistency_path", "inclusion_path", "leaf_hash", "root_of"]

EMPTY_ROOT = hashlib.sha256(b"").digest()
# A stored perfect subtree: (level, index) covers leaves [index << level, (index + 1) << level).
Node = tuple[int, int]
NodeGetter = Callable[[int, int], bytes]


@dataclass
class CompactRange:
    """The roots of the perfect subtrees that make up a tree of `size` leaves, largest first."""

    size: int = 0
    roots: list[bytes] = field(default_factory=list)

    def append(self, hash_: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the perfect subtrees it completed as (level, index, hash)."""
        completed = [(0, self.size, hash_)]
        level, index = 0, self.size
        while index & 1:
            hash_ = node_hash(self.roots.pop(), hash_)
            level, index = level + 1, index >> 1
            completed.append((level, index, hash_))
        self.roots.append(hash_)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The tree's root hash (RFC 9162 MTH)."""
        if not self.roots:
            return EMPTY_ROOT
        root = self.roots[-1]
        for left in reversed(self.roots[:-1]):
            root = node_hash(left, root)
        return root


def frontier(size: int) -> list[Node]:
    """The perfect subtrees whose roots make up the compact range of a tree of `size` leaves."""
    nodes: list[Node] = []
    start = 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def root_of(hashes: Iterable[bytes]) -> bytes:
    """The root of the tree of these leaf hashes."""
    tree = CompactRange()
    for hash_ in hashes:
        tree.append(hash_)
    return tree.root()


def _split(size: int) -> int:
    """The largest power of two below `size` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, node: NodeGetter) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return node(level, start >> level)
    k = _split(size)
    return node_hash(subtree_hash(start, start + k, node), subtree_hash(start + k, end, node))


def _path(m: int, start: int, end: int, node: NodeGetter) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[start:end])."""
    if end - start == 1:
        return []
    k = _split(end - start)
    if m < k:
        return [*_path(m, start, start + k, node), subtree_hash(start + k, end, node)]
    return [*_path(m - k, start + k, end, node), subtree_hash(start, start + k, node)]


def _subproof(m: int, start: int, end: int, whole: bool, node: NodeGetter) -> list[bytes]:
    """RFC 9162 2.1.4.1 SUBPROOF(m, D[start:end], b)."""
    if m == end - start:
        return [] if whole else [subtree_hash(start, end, node)]
    k = _split(end - start)
    if m <= k:
        return [*_subproof(m, start, start + k, whole, node), subtree_hash(start + k, end, node)]
    return [*_subproof(m - k, start + k, end, False, node), subtree_hash(start, start + k, node)]


def needed(compute: Callable[[NodeGetter], object]) -> set[Node]:
    """The stored subtrees `compute` reads, found by running it over placeholder hashes."""
    nodes: set[Node] = set()

    def record(level: int, index: int) -> bytes:
        nodes.add((level, index))
        return b"\x00" * 32

    compute(record)
    return nodes


def inclusion_path(index: int, size: int, node: NodeGetter) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves."""
    return _path(index, 0, size, node)


def consistency_path(old: int, new: int, node: NodeGetter) -> list[bytes]:
    """The proof that the tree of `new` leaves extends the tree of `old` leaves."""
    if old == 0 or old == new:
        return []
    return _subproof(old, 0, new, True, node)
