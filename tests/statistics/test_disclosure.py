"""Disclosure control: no suppressed number can be worked out from what is shown.

Property-style: many seeded random tables (2-D with both totals, one-column tables, tables
sharing totals), each protected and then checked cell by cell with an independent exact
rational elimination (tests/statistics/exact.py). A hand-made case shows why "at least two
suppressed cells in every row and column" is not enough.
"""

from __future__ import annotations

import random

import pytest

from safeguard.statistics.disclosure import disclosed, protect
from safeguard.statistics.tables import Cell, Release, Row, Shorthand, Table
from tests.statistics import exact

Atoms = frozenset[int]


def _grid(counts: list[list[int]], first_atom: int = 0, *, code: str = "T") -> Table:
    """A table of atoms with a Total column and a Total row."""
    width = len(counts[0])
    ids = [[first_atom + r * width + c for c in range(width)] for r in range(len(counts))]
    rows = []
    for r, line in enumerate(counts):
        cells = [Cell(n, frozenset({ids[r][c]})) for c, n in enumerate(line)]
        cells.append(Cell(sum(line), frozenset(ids[r])))
        rows.append(Row(f"r{r}", tuple(cells)))
    totals = [
        Cell(sum(line[c] for line in counts), frozenset(row[c] for row in ids))
        for c in range(width)
    ]
    totals.append(Cell(sum(map(sum, counts)), frozenset(a for row in ids for a in row)))
    rows.append(Row("Total", tuple(totals), total=True))
    columns = (*(f"c{c}" for c in range(width)), "Total")
    return Table(code, code, "row", columns, tuple(rows))


def _release(*tables: Table, identities: tuple[tuple[Atoms, Atoms], ...] = ()) -> Release:
    return Release("t", "p", "s", tables, {}, identities=identities)


def _values(release: Release) -> dict[Atoms, tuple[int, bool]]:
    return {
        c.atoms: (c.value or 0, c.shorthand is Shorthand.SUPPRESSED)
        for t in release.tables
        for c in t.cells()
    }


def _check(protected: Release, threshold: int) -> None:
    """Every small count is hidden, the same number is hidden everywhere it appears, and no
    hidden number can be derived (exact arithmetic)."""
    found = _values(protected)
    for t in protected.tables:
        for c in t.cells():
            assert found[c.atoms][1] == (c.shorthand is Shorthand.SUPPRESSED)
            if 0 < (c.value or 0) < threshold:
                assert c.shorthand is Shorthand.SUPPRESSED, (t.code, c)
            if c.shorthand is None:
                assert c.value is not None
    shown = [atoms for atoms, (_, hidden) in found.items() if not hidden]
    for atoms, (value, hidden) in found.items():
        if hidden:
            assert not exact.derivable(shown, protected.identities, atoms), (atoms, value)


def _random_counts(rng: random.Random, rows: int, columns: int) -> list[list[int]]:
    # Mostly small numbers, so that many cells need suppressing.
    return [
        [rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15, 40]) for _ in range(columns)] for _ in range(rows)
    ]


@pytest.mark.parametrize("seed", range(40))
def test_no_suppressed_cell_of_a_table_with_totals_can_be_derived(seed: int) -> None:
    rng = random.Random(seed)
    counts = _random_counts(rng, rng.randint(1, 6), rng.randint(1, 6))
    protected = protect(_release(_grid(counts)), threshold=5)
    _check(protected, 5)


@pytest.mark.parametrize("seed", range(20))
def test_tables_sharing_their_totals_are_suppressed_together(seed: int) -> None:
    # The same referrals split two ways: both tables' column totals and grand totals are the
    # same numbers, which the reader knows.
    rng = random.Random(1000 + seed)
    columns = rng.randint(2, 4)
    first = _random_counts(rng, rng.randint(2, 4), columns)
    second = _random_counts(rng, rng.randint(2, 4), columns)
    # Make the column totals agree: put the difference in the second table's first row.
    for c in range(columns):
        gap = sum(r[c] for r in first) - sum(r[c] for r in second)
        second[0][c] += gap if gap > 0 else 0
        first[0][c] += -gap if gap < 0 else 0
    a, b = _grid(first, code="A"), _grid(second, 100, code="B")
    pairs = tuple(
        (a.rows[-1].cells[c].atoms, b.rows[-1].cells[c].atoms) for c in range(columns + 1)
    )
    protected = protect(_release(a, b, identities=pairs), threshold=5)
    _check(protected, 5)


def test_two_suppressed_cells_in_every_line_can_still_give_one_away() -> None:
    # Two 2x2 blocks of hidden cells joined by one more hidden cell: every row and column has
    # two or more hidden cells, yet the joining cell is fixed by the totals (it is on no
    # cycle of hidden cells). The rule this code uses (linear algebra) sees it.
    counts = [
        [9, 9, 9, 9, 20],
        [9, 9, 20, 20, 20],
        [20, 20, 9, 9, 20],
        [20, 20, 9, 9, 20],
    ]
    table = _grid(counts)
    cell = {(r, c): table.rows[r].cells[c].atoms for r in range(4) for c in range(5)}
    hidden = {cell[p] for p in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)]}
    hidden.add(cell[(1, 2)])  # joins the blocks: row 1 and column 2 now hold three each
    values = {c.atoms: c.value or 0 for c in table.cells()}
    assert disclosed(values, [], hidden) == [cell[(1, 2)]]
    shown = [atoms for atoms in values if atoms not in hidden]
    assert exact.derivable(shown, [], cell[(1, 2)])


def test_a_lone_small_count_takes_a_second_cell_of_its_row_and_column() -> None:
    counts = [[2, 30, 40], [25, 35, 45]]
    protected = protect(_release(_grid(counts)), threshold=5)
    table = protected.tables[0]
    hidden = {
        (row.label, column)
        for row in table.rows
        for column, c in zip(table.columns, row.cells, strict=True)
        if c.shorthand
    }
    # The 2, the smallest other number of its row and of its column, and the one cell that
    # then completes the rectangle: nothing else.
    assert hidden == {("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")}
    assert table.value("Total", "Total") == 177
    _check(protected, 5)


def test_zeros_and_counts_at_the_threshold_are_shown() -> None:
    protected = protect(_release(_grid([[0, 5], [7, 9]])), threshold=5)
    assert not any(c.shorthand for c in protected.tables[0].cells())
