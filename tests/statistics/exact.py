"""An independent check of disclosure: exact rational elimination, no numpy, no shortcuts.

A hidden sum is derivable when its atom vector is a rational combination of the shown sums'
vectors and the identities' differences. Small releases only (pure Python).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

Atoms = frozenset[int]


def _reduce(basis: dict[int, list[Fraction]], vector: list[Fraction]) -> list[Fraction]:
    vector = list(vector)
    for pivot, row in basis.items():
        if vector[pivot]:
            factor = vector[pivot] / row[pivot]
            vector = [v - factor * r for v, r in zip(vector, row, strict=True)]
    return vector


def derivable(
    shown: Sequence[Atoms], identities: Sequence[tuple[Atoms, Atoms]], hidden: Atoms
) -> bool:
    """Whether `hidden`'s number follows from the shown numbers and the identities."""
    width = 1 + max(a for sums in (*shown, hidden, *(x | y for x, y in identities)) for a in sums)

    def vector(sums: Atoms, minus: Atoms = frozenset()) -> list[Fraction]:
        return [Fraction(int(i in sums) - int(i in minus)) for i in range(width)]

    basis: dict[int, list[Fraction]] = {}
    rows = [vector(s) for s in shown] + [vector(a, b) for a, b in identities]
    for row in rows:
        reduced = _reduce(basis, row)
        pivot = next((i for i, v in enumerate(reduced) if v), None)
        if pivot is not None:
            # Keep the basis reduced at its pivots so one pass reduces any vector.
            for key, other in basis.items():
                if other[pivot]:
                    factor = other[pivot] / reduced[pivot]
                    basis[key] = [o - factor * r for o, r in zip(other, reduced, strict=True)]
            basis[pivot] = reduced
    return not any(_reduce(basis, vector(hidden)))
