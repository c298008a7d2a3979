"""Disclosure control: small counts suppressed, and enough others that none can be worked out.

A published number is a sum of atoms (`tables.Cell.atoms`). The reader knows every shown
number and the identities of the release (the same total split two ways), so a suppressed
number is disclosed exactly when its atom vector lies in the span of the shown vectors and the
identities: when it is orthogonal to their null space. Primary suppression hides the counts
from 1 to `threshold - 1`; secondary suppression then hides, one at a time, the smallest shown
number that stops a disclosed one being worked out, until none can be.

This protects exact values against linear derivation (row and column totals, totals shared
between tables, differences of tables). It does not narrow a suppressed count's possible range
(counts are never negative, so a row's total bounds each of its cells); the threshold is what
bounds the harm there, as in the Home Office's own releases. Zeros are shown.

Groups of tables that share atoms are solved one at a time (small matrices), their shared
totals kept suppressed alike, and the whole release checked jointly at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

# The matrices are small (hundreds of rows): BLAS threads only contend with the service's other
# work for the cores, slowing each decomposition many times over on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from safeguard.statistics.linalg import svd  # noqa: E402
from safeguard.statistics.tables import Cell, Release, Shorthand, Table  # noqa: E402

Atoms = frozenset[int]
Matrix = npt.NDArray[np.float64]
_TOLERANCE = 1e-9


def protect(release: Release, threshold: int) -> Release:
    """The release with small counts and the cells that would reveal them shown as [c]."""
    return suppress(release, hiding(release, threshold), threshold)


def hiding(release: Release, threshold: int, also: Iterable[Atoms] = ()) -> set[Atoms]:
    """The sums `protect` hides: the small counts, `also` (sums a caller must hide, such as
    those hidden in a related release), and the cells that would reveal any of them."""
    values = _published(release)
    identities = [(a, b) for a, b in release.identities if a in values and b in values]
    lines = _lines(release)
    hidden = {atoms for atoms, value in values.items() if 0 < value < threshold}
    hidden |= set(also) & set(values)
    if not hidden:
        return hidden  # nothing small: nothing to protect (and no matrix to work out)
    hidden = _in_step(_by_lines(hidden, lines, values), identities, values, lines)
    return _secondary(set(values), values, identities, hidden, lines)


def null_space(release: Release, hidden: set[Atoms], width: int) -> Matrix:
    """A basis (columns, over atoms 0..width-1) of the changes to the atoms' counts that leave
    every shown number of `release` and its identities as they are."""
    index = {atom: atom for atom in range(width)}
    values = _published(release)
    shown = [_vector(sums, index) for sums in values if sums not in hidden]
    shown += [_vector(a, index) - _vector(b, index) for a, b in release.identities]
    return _null_space(np.array(shown) if shown else np.zeros((0, width)), width)


def disclosed(
    values: dict[Atoms, int], identities: Sequence[tuple[Atoms, Atoms]], hidden: set[Atoms]
) -> list[Atoms]:
    """The hidden sums the shown ones (with the identities) determine exactly."""
    atoms = sorted({atom for sums in values for atom in sums})
    index = {atom: i for i, atom in enumerate(atoms)}
    shown = [_vector(sums, index) for sums in values if sums not in hidden]
    shown += [_vector(a, index) - _vector(b, index) for a, b in identities]
    null = _null_space(np.array(shown) if shown else np.zeros((0, len(atoms))), len(atoms))
    return [
        sums
        for sums in sorted(hidden, key=_order(values))
        if not np.any(np.abs(_vector(sums, index) @ null) > _TOLERANCE)
    ]


def _secondary(
    scope: set[Atoms],
    values: dict[Atoms, int],
    identities: Sequence[tuple[Atoms, Atoms]],
    hidden: set[Atoms],
    lines: list[list[Atoms]],
) -> set[Atoms]:
    """`hidden` grown until none of the hidden sums of `scope` is disclosed."""
    local = {sums: values[sums] for sums in scope}
    hidden = set(hidden)
    while exposed := disclosed(local, identities, hidden & scope):
        hidden.add(_breaker(exposed[0], local, identities, hidden & scope))
        hidden = _by_lines(hidden, lines, values)
    return hidden


def _by_lines(hidden: set[Atoms], lines: list[list[Atoms]], values: dict[Atoms, int]) -> set[Atoms]:
    """The cheap rule first: a row or column with its total never has exactly one number
    hidden (it would be the total less the others), so hide its smallest other number."""
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(sums in hidden for sums in line) == 1:
                shown = sorted((s for s in line if s not in hidden), key=_order(values))
                hidden.add(shown[0])
                changed = True
    return hidden


def _lines(release: Release) -> list[list[Atoms]]:
    """Each row of a table with a total column, and each column of one with a total row."""
    lines: list[list[Atoms]] = []
    for table in release.tables:
        rows = [[cell.atoms for cell in row.cells] for row in table.rows]
        if table.columns[-1] == "Total":
            lines += rows
        if table.rows[-1].total:
            lines += [list(column) for column in zip(*rows, strict=True)]
    return [[sums for sums in line if sums] for line in lines if len(line) > 1]


def _breaker(
    target: Atoms,
    values: dict[Atoms, int],
    identities: Sequence[tuple[Atoms, Atoms]],
    hidden: set[Atoms],
) -> Atoms:
    """The shown sum to hide so `target` is no longer disclosed: the smallest that works among
    those sharing atoms with it or with what determines it; failing one, the smallest of them."""
    shown = sorted((s for s in values if s not in hidden), key=_order(values))
    near = [s for s in shown if s & target] or shown
    breaking = _breaking(target, shown, values, identities)
    return next((candidate for candidate in near if candidate in breaking), near[0])


def _breaking(
    target: Atoms,
    shown: list[Atoms],
    values: dict[Atoms, int],
    identities: Sequence[tuple[Atoms, Atoms]],
) -> set[Atoms]:
    """The shown sums each of which, hidden alone, leaves `target` undetermined, from one
    decomposition (hiding each in turn took one per candidate: minutes for a scope of single
    referrals). With the shown sums and identities as the rows of A, `target` is A's rows
    weighted by some y; a row is needed exactly when its weight is the same non-zero number in
    every such y: non-zero in the least-norm y, and zero in every vector of A's left null
    space (which is what the other solutions add)."""
    atoms = sorted({atom for sums in values for atom in sums})
    index = {atom: i for i, atom in enumerate(atoms)}
    rows = [_vector(sums, index) for sums in shown]
    rows += [_vector(a, index) - _vector(b, index) for a, b in identities]
    u, singular, vt = svd(np.array(rows), full_matrices=True)
    rank = int(np.sum(singular > _TOLERANCE * max(1.0, float(singular.max(initial=0.0)))))
    weights = u[:, :rank] @ ((vt[:rank] @ _vector(target, index)) / singular[:rank])
    free = np.abs(u[:, rank:]) > _TOLERANCE
    return {
        sums for i, sums in enumerate(shown) if abs(weights[i]) > _TOLERANCE and not free[i].any()
    }


def _in_step(
    hidden: set[Atoms],
    identities: Sequence[tuple[Atoms, Atoms]],
    values: dict[Atoms, int],
    lines: list[list[Atoms]],
) -> set[Atoms]:
    """Hidden sums with their equals across groups hidden too (the same number, published
    twice, is hidden in both places or neither)."""
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for a, b in identities:
            if (a in hidden) != (b in hidden):
                hidden |= {a, b}
                changed = True
        for group in _groups(values):
            more = _secondary(group, values, [], hidden, lines)
            changed |= bool(more - hidden)
            hidden |= more
    return hidden


def _groups(values: dict[Atoms, int]) -> list[set[Atoms]]:
    """The published sums split into groups that share no atom (union-find over atoms)."""
    parent: dict[int, int] = {}

    def root(atom: int) -> int:
        while parent.setdefault(atom, atom) != atom:
            parent[atom] = atom = parent[parent[atom]]
        return atom

    for sums in values:
        first, *rest = sums
        for atom in rest:
            parent[root(atom)] = root(first)
    groups: dict[int, set[Atoms]] = {}
    for sums in values:
        groups.setdefault(root(next(iter(sums))), set()).add(sums)
    return list(groups.values())


def _order(values: dict[Atoms, int]) -> Callable[[Atoms], tuple[int, int, list[int]]]:
    # Smallest first; among equals, the finer sum (a cell before a total), then a fixed order.
    return lambda sums: (values[sums], len(sums), sorted(sums))


def _vector(sums: Iterable[int], index: dict[int, int]) -> Matrix:
    vector = np.zeros(len(index))
    vector[[index[a] for a in sums]] = 1.0
    return vector


def _null_space(matrix: Matrix, width: int) -> Matrix:
    """An orthonormal basis (columns) of the vectors every row of `matrix` is orthogonal to."""
    if matrix.shape[0] == 0:
        return np.eye(width)
    _, singular, vt = svd(matrix, full_matrices=True)
    rank = int(np.sum(singular > _TOLERANCE * max(1.0, float(singular.max(initial=0.0)))))
    null: Matrix = vt[rank:].T
    return null


def _published(release: Release) -> dict[Atoms, int]:
    return {cell.atoms: cell.value or 0 for t in release.tables for cell in t.cells() if cell.atoms}


def suppress(release: Release, hidden: set[Atoms], threshold: int) -> Release:
    """The release with the `hidden` sums shown as [c]."""

    def cell(c: Cell) -> Cell:
        return replace(c, shorthand=Shorthand.SUPPRESSED) if c.atoms in hidden else c

    def table(t: Table) -> Table:
        rows = tuple(replace(r, cells=tuple(cell(c) for c in r.cells)) for r in t.rows)
        return replace(t, rows=rows)

    return replace(
        release, tables=tuple(table(t) for t in release.tables), suppressed_below=threshold
    )
