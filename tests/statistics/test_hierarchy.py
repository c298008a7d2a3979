"""Disclosure control across scopes: the attacker downloads every table of a period
(England and Wales, each region, police force area and area) and subtracts.

The attacker's unknowns are each area's counts (atom by atom); every shown number of every
scope is a known sum of them (a parent's cells are its areas' cells added up), and so is each
release's identities. A hidden number is recoverable exactly when its vector lies in the span
of the known ones: checked here with numpy's least squares, not with the code under test.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import numpy as np
import pytest

from safeguard.statistics.areas import Level, Scope, read_areas
from safeguard.statistics.categories import AGE_SCHEMES, OUTCOMES
from safeguard.statistics.disclosure import protect
from safeguard.statistics.hierarchy import (
    NATIONAL,
    Hierarchy,
    StoppedError,
    hierarchy_of,
    protect_together,
)
from safeguard.statistics.periods import parse_period
from safeguard.statistics.release import build_release, dimensions
from safeguard.statistics.tables import Cell, Release, Shorthand
from tests.statistics.test_disclosure import _grid

Atoms = frozenset[int]


def _random_tree(rng: random.Random) -> Hierarchy:
    """England and Wales, two or three regions, one to three forces each, one to three areas
    per force (a force or region with a single child is the same numbers twice)."""
    parent: dict[str, str | None] = {NATIONAL: None}
    for r in range(rng.randint(2, 3)):
        parent[f"region:{r}"] = NATIONAL
        for f in range(rng.randint(1, 3)):
            parent[f"force:{r}{f}"] = f"region:{r}"
            for a in range(rng.randint(1, 3)):
                parent[f"area:{r}{f}{a}"] = f"force:{r}{f}"
    return Hierarchy(parent)


def _two_regions(*areas: str) -> Hierarchy:
    """England and Wales, regions 1 and 2 of one force each, and the areas named "1a", "2b"
    (force and region by their first character)."""
    parent: dict[str, str | None] = {NATIONAL: None}
    for r in ("1", "2"):
        parent |= {f"region:{r}": NATIONAL, f"force:{r}": f"region:{r}"}
    parent |= {f"area:{a}": f"force:{a[0]}" for a in areas}
    return Hierarchy(parent)


def _leaves(tree: Hierarchy, node: str) -> list[str]:
    children = tree.children[node]
    return [node] if not children else [a for c in children for a in _leaves(tree, c)]


def _release(counts: list[list[int]], node: str) -> Release:
    return Release("t", "p", node, (_grid(counts),), {})


def _releases(tree: Hierarchy, leaf_counts: Mapping[str, list[list[int]]]) -> dict[str, Release]:
    """Every scope's table: its areas' counts added up."""
    found = {}
    for node in tree.parent:
        grids = [leaf_counts[a] for a in _leaves(tree, node)]
        summed = [[sum(g[r][c] for g in grids) for c in range(len(grids[0][0]))] for r in range(3)]
        found[node] = _release(summed, node)
    return found


def recoverable(tree: Hierarchy, releases: Mapping[str, Release]) -> list[tuple[str, Atoms]]:
    """Every hidden (scope, cell) whose number follows from all the shown numbers."""
    leaves = _leaves(tree, NATIONAL)
    width = 1 + max(a for r in releases.values() for c in _cells(r) for a in c.atoms)
    column = {(leaf, atom): i for i, (leaf, atom) in enumerate(_pairs(leaves, width))}

    def vector(node: str, sums: Atoms, minus: Atoms = frozenset()) -> np.ndarray:
        found = np.zeros(len(column))
        for leaf in _leaves(tree, node):
            found[[column[leaf, a] for a in sums]] += 1.0
            found[[column[leaf, a] for a in minus]] -= 1.0
        return found

    known = [
        vector(n, c.atoms) for n, r in releases.items() for c in _cells(r) if c.shorthand is None
    ]
    known += [vector(n, a, b) for n, r in releases.items() for a, b in r.identities]
    # The null space of what the attacker knows: a hidden number is recoverable exactly when
    # no vector of it changes the number.
    _, singular, vt = np.linalg.svd(np.array(known), full_matrices=True)
    null = vt[int(np.sum(singular > 1e-9 * singular.max())) :]
    return [
        (node, cell.atoms)
        for node, release in releases.items()
        for cell in _cells(release)
        if cell.shorthand is Shorthand.SUPPRESSED
        and not np.any(np.abs(null @ vector(node, cell.atoms)) > 1e-7)
    ]


def _cells(release: Release) -> list[Cell]:
    return [c for t in release.tables for c in t.cells() if c.atoms]


def _pairs(leaves: list[str], width: int) -> list[tuple[str, int]]:
    return [(leaf, atom) for leaf in leaves for atom in range(width)]


def _leaf_counts(rng: random.Random, tree: Hierarchy) -> dict[str, list[list[int]]]:
    return {
        a: [[rng.choice([0, 1, 2, 3, 4, 6, 9, 15]) for _ in range(3)] for _ in range(3)]
        for a in _leaves(tree, NATIONAL)
    }


@pytest.mark.parametrize("seed", range(25))
def test_no_suppressed_number_can_be_recovered_from_every_scope_together(seed: int) -> None:
    rng = random.Random(seed)
    tree = _random_tree(rng)
    releases = _releases(tree, _leaf_counts(rng, tree))
    protected = protect_together(releases, tree, threshold=5)
    assert recoverable(tree, protected) == []
    for node, release in protected.items():
        before = {c.atoms: c.value for c in _cells(releases[node])}
        for cell in _cells(release):
            if node == NATIONAL:
                assert cell.shorthand is None  # published whole, as the Home Office does
            elif 0 < (cell.value or 0) < 5:
                assert cell.shorthand is Shorthand.SUPPRESSED, (node, cell)
            assert cell.value == before[cell.atoms]


def test_each_scope_protected_alone_gives_numbers_away() -> None:
    # The gap this module closes: over the same trees, protecting each scope on its own lets
    # the attacker subtract a force's areas from the force.
    leaks = 0
    for seed in range(25):
        rng = random.Random(seed)
        tree = _random_tree(rng)
        releases = _releases(tree, _leaf_counts(rng, tree))
        alone = {n: r if n == NATIONAL else protect(r, threshold=5) for n, r in releases.items()}
        leaks += bool(recoverable(tree, alone))
    assert leaks > 0


def test_an_area_hidden_cell_is_not_the_force_less_its_other_area() -> None:
    # One force of two areas, the force the only one of its region: the area's 2 would be the
    # force's number less the other area's.
    tree = _two_regions("1a", "1b", "2a")
    counts = {
        "area:1a": [[2, 30, 40], [25, 35, 45], [20, 20, 20]],
        "area:1b": [[30, 30, 40], [25, 35, 45], [20, 20, 20]],
        "area:2a": [[30, 30, 40], [25, 35, 45], [20, 20, 20]],
    }
    releases = _releases(tree, counts)
    alone = {n: r if n == NATIONAL else protect(r, threshold=5) for n, r in releases.items()}
    assert ("area:1a", frozenset({0})) in recoverable(tree, alone)
    assert recoverable(tree, protect_together(releases, tree, threshold=5)) == []


def test_the_shipped_area_table_is_a_tree() -> None:
    tree = hierarchy_of(read_areas())
    assert tree.parent["area:E08000003"] == "force:E23000005"
    assert tree.parent["force:E23000005"] == "region:E12000002"
    assert tree.parent["region:E12000002"] == NATIONAL


def test_the_release_s_own_tables_across_a_small_tree_give_nothing_away() -> None:
    # The real tables (a quarter's: sector, concern, age, gender, each by outcome, and the
    # Channel tables, with their identities) over two regions of a force each, two areas a
    # force: small, since the attacker's system is every area's atoms.
    tree = _two_regions("1a", "1b", "2a", "2b")
    rng = random.Random(7)
    period, ages = parse_period("2024-25-Q2"), AGE_SCHEMES["recent"]
    dims = dimensions(period, ages)
    leaf_counts: dict[str, dict[str, dict[tuple[str, str], int]]] = {}
    for area in _leaves(tree, NATIONAL):
        counts: dict[str, dict[tuple[str, str], int]] = {d.code: {} for d in dims}
        for _ in range(rng.randint(8, 30)):  # one referral: an outcome, a category of each
            outcome = rng.choice(list(OUTCOMES))
            for d in dims:
                key = (rng.choice(d.labels), outcome)
                counts[d.code][key] = counts[d.code].get(key, 0) + 1
        leaf_counts[area] = counts
    releases = {}
    for node in tree.parent:
        summed: dict[str, dict[tuple[str, str], int]] = {d.code: {} for d in dims}
        for area in _leaves(tree, node):
            for code, cells in leaf_counts[area].items():
                for key, n in cells.items():
                    summed[code][key] = summed[code].get(key, 0) + n
        scope = Scope(Level.AREA, node, node, frozenset())
        releases[node] = build_release(summed, period=period, scope=scope, ages=ages)
    alone = {n: r if n == NATIONAL else protect(r, threshold=5) for n, r in releases.items()}
    assert recoverable(tree, alone)  # the gap
    protected = protect_together(releases, tree, threshold=5)
    assert recoverable(tree, protected) == []


def test_it_stops_between_steps_when_told() -> None:
    # A thread cannot be cancelled: the protector's stops it at its next step instead.
    rng = random.Random(3)
    tree = _random_tree(rng)
    releases = _releases(tree, _leaf_counts(rng, tree))
    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > 2

    with pytest.raises(StoppedError):
        protect_together(releases, tree, threshold=5, stop=stop)
    assert len(asked) == 3  # stopped at the first step it was told to, not at the end
