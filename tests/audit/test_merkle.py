"""The log's tree agrees with an independent implementation, and its proofs check out."""

from __future__ import annotations

import pytest
from pymerkle import InmemoryTree

from safeguard.audit.log import merkle
from safeguard.audit.log.proofcheck import (
    ProofError,
    check_consistency,
    leaf_hash,
    root_from_inclusion,
)


def _grown(size: int) -> tuple[merkle.CompactRange, dict[merkle.Node, bytes], InmemoryTree]:
    ours, stored, theirs = merkle.CompactRange(), {}, InmemoryTree(algorithm="sha256")
    for number in range(size):
        data = b"entry %d" % number
        theirs.append_entry(data)
        for level, index, hash_ in ours.append(leaf_hash(data)):
            stored[(level, index)] = hash_
    return ours, stored, theirs


SIZES = [*range(1, 34), 64, 65, 100, 255, 256, 257]


@pytest.mark.parametrize("size", SIZES)
def test_every_root_is_pymerkles(size: int) -> None:
    ours, stored, theirs = _grown(size)
    assert ours.root() == theirs.get_root(size)
    # The compact range is rebuilt from the stored subtrees alone.
    assert [stored[node] for node in merkle.frontier(size)] == ours.roots


@pytest.mark.parametrize("size", SIZES)
def test_every_inclusion_and_consistency_proof_checks_out(size: int) -> None:
    ours, stored, theirs = _grown(size)
    node = stored.__getitem__

    def get(level: int, index: int) -> bytes:
        return node((level, index))

    for index in range(size):
        path = merkle.inclusion_path(index, size, get)
        assert root_from_inclusion(index, size, stored[(0, index)], path) == ours.root()
    for old in range(1, size + 1):
        path = merkle.consistency_path(old, size, get)
        check_consistency(old, size, theirs.get_root(old), ours.root(), path)


def test_a_wrong_leaf_or_path_fails() -> None:
    ours, stored, _ = _grown(13)

    def get(level: int, index: int) -> bytes:
        return stored[(level, index)]

    path = merkle.inclusion_path(6, 13, get)
    assert root_from_inclusion(6, 13, leaf_hash(b"another"), path) != ours.root()
    assert root_from_inclusion(7, 13, stored[(0, 6)], path) != ours.root()
    with pytest.raises(ProofError):
        root_from_inclusion(6, 13, stored[(0, 6)], path[:-1])
    with pytest.raises(ProofError):
        check_consistency(5, 13, stored[(0, 0)], ours.root(), merkle.consistency_path(5, 13, get))
