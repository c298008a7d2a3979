"""Disclosure control across every scope a reader can download for a period.

A police force area's tables are the sums of its areas' tables, a region's of its forces', and
England and Wales's of every area: a reader who downloads them all can subtract. So the tables
of every scope are protected together, as one linear system: the unknowns are the counts of
every area (each cell a sum of its atoms), the reader knows every shown cell of every scope and
each release's identities, and a parent's counts are the sum of its children's.

A hidden cell is safe exactly when some change to the areas' counts leaves every shown number
of every scope unchanged and changes that cell. Such changes are found on the tree without
writing the whole system down (atoms per scope, not per area, so the matrices stay small):

- `N(n)`: the changes to scope n's own counts that leave its shown cells and identities as
  they are (`disclosure.null_space`);
- `W(n)`, bottom up: the changes to n that its descendants can make unseen,
  `W(leaf) = N(leaf)`, `W(n) = N(n) ∩ (W(c1) + ... + W(ck))`;
- `U(n)`, top down: those that also fit what n's ancestors and their other children show,
  `U(root) = W(root)`, `U(c) = W(c) ∩ (U(parent) + W(siblings))`.

A hidden cell h of n is disclosed exactly when every vector of `U(n)` is orthogonal to h.
Then one more cell is hidden (the same cell in the sibling where it is smallest; failing one,
in a child or the parent; failing those, the shown cells overlapping it in the nearest
relative, and failing those every shown number of the siblings), the scope it was
added to re-protected on its own, and the check run again until nothing is disclosed. The
national tables, published whole by default, are never hidden: their cells are fixed.

Referrals of areas the area table does not list count nationally but in no region; the reader
is assumed to know those counts (the stronger reader), so they give no cover.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in disclosure.py: small matrices

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from safeguard.statistics.areas import AreaTable, Level, Scope  # noqa: E402
from safeguard.statistics.disclosure import hiding, null_space, suppress  # noqa: E402
from safeguard.statistics.linalg import svd  # noqa: E402
from safeguard.statistics.tables import Release  # noqa: E402

logger = logging.getLogger(__name__)
Atoms = frozenset[int]
Matrix = npt.NDArray[np.float64]
NATIONAL = "national"
_TOLERANCE = 1e-9


class NotATreeError(ValueError):
    """A police force area of the area table lies in more than one region."""


@dataclass(frozen=True)
class Hierarchy:
    """Scopes by key (`national`, `region:<code>`, `force:<code>`, `area:<code>`) and the
    scope each one sums into (None for England and Wales)."""

    parent: Mapping[str, str | None]

    @cached_property
    def children(self) -> dict[str, list[str]]:
        """Each scope's children, in key order."""
        found: dict[str, list[str]] = {node: [] for node in self.parent}
        for node, parent in sorted(self.parent.items()):
            if parent is not None:
                found[parent].append(node)
        return found

    def depth(self, node: str) -> int:
        """How many steps below England and Wales."""
        parent = self.parent[node]
        return 0 if parent is None else 1 + self.depth(parent)


def scope_key(scope: Scope) -> str:
    """The key of a scope in the hierarchy (the API's `scope` parameter)."""
    return NATIONAL if scope.level is Level.NATIONAL else f"{scope.level.value}:{scope.code}"


def hierarchy_of(table: AreaTable) -> Hierarchy:
    """England and Wales, its regions, their police force areas and the forces' areas."""
    parent: dict[str, str | None] = {NATIONAL: None}
    for area in table.areas.values():
        region, force = f"region:{area.region_code}", f"force:{area.force_code}"
        if parent.setdefault(force, region) != region:
            raise NotATreeError(f"police force area {area.force_code} spans two regions")
        parent[region] = NATIONAL
        parent[f"area:{area.code}"] = force
    return Hierarchy(parent)


def protect_together(
    releases: Mapping[str, Release],
    tree: Hierarchy,
    threshold: int,
    *,
    published_whole: Collection[str] = (NATIONAL,),
    stop: Callable[[], bool] = lambda: False,
) -> dict[str, Release]:
    """Every scope's release protected so that no hidden number follows from all of them
    together; the scopes in `published_whole` are returned as they are (nothing hidden).
    `StoppedError` once `stop()` says so (asked between scopes and rounds: a thread cannot be
    cancelled, and a stopping service should not wait a minute for it)."""
    width = 1 + max(
        a for r in releases.values() for t in r.tables for c in t.cells() for a in c.atoms
    )
    values = {node: _values(release) for node, release in releases.items()}
    known = _known(values, published_whole)
    hidden: dict[str, set[Atoms]] = {}
    for node, release in releases.items():
        _go_on(stop)
        hidden[node] = set() if node in known else hiding(release, threshold)
    spaces = _Spaces(releases, width)
    while exposed := _disclosed(tree, hidden, spaces, known):
        more = _more(exposed, tree, hidden, values, known)
        if not more:
            # Only scopes the reader knows whole are left to hide them in.
            logger.warning("%d hidden numbers follow from known scopes", len(exposed))
            break
        for node, sums in more.items():
            _go_on(stop)
            hidden[node] = hiding(releases[node], threshold, hidden[node] | sums)
    return {
        node: release
        if node in published_whole
        else suppress(
            release, hiding(release, threshold) if node in known else hidden[node], threshold
        )
        for node, release in releases.items()
    }


class StoppedError(Exception):
    """`protect_together` was told to stop before it finished."""


def _go_on(stop: Callable[[], bool]) -> None:
    if stop():
        raise StoppedError


def _known(values: Mapping[str, Mapping[Atoms, int]], published_whole: Collection[str]) -> set[str]:
    """The scopes whose every number the reader knows whatever is hidden in them, so that
    hiding numbers there covers nothing: those published whole; those with no referral (a
    total of 0 gives away each cell, counts are never negative); and those with the same
    numbers as a scope published whole (every referral of the period in one force). They
    still hide their own small counts, by the rule for one release."""
    whole = [values[n] for n in published_whole if n in values]
    return {
        node
        for node, found in values.items()
        if node in published_whole or not any(found.values()) or found in whole
    }


class _Spaces:
    """N(n), W(n) and U(n) of each scope, worked out once for each state of what they depend
    on (the rounds of `protect_together` change few scopes at a time)."""

    def __init__(self, releases: Mapping[str, Release], width: int) -> None:
        self._releases = releases
        self.width = width
        self._ids: dict[Hashable, int] = {}
        self._spaces: dict[int, Matrix] = {}
        self._disclosed: dict[tuple[int, frozenset[Atoms]], list[Atoms]] = {}

    def null(self, node: str, hidden: frozenset[Atoms]) -> tuple[int, Matrix]:
        """N(node) with these sums hidden, and an id for that state. It depends on which sums
        the release publishes, not on their numbers: scopes of the same shape share it."""
        release = self._releases[node]
        shape = (frozenset(c.atoms for t in release.tables for c in t.cells()), release.identities)
        return self._once(
            ("N", shape, hidden), lambda: null_space(self._releases[node], set(hidden), self.width)
        )

    def meet(self, a: tuple[int, Matrix], parts: list[tuple[int, Matrix]]) -> tuple[int, Matrix]:
        """a ∩ (parts added up), and an id for it."""
        key = ("meet", a[0], tuple(sorted(p[0] for p in parts)))
        return self._once(key, lambda: _meet(a[1], _span([p[1] for p in parts], self.width)))

    def disclosed(self, fits: tuple[int, Matrix], hidden: frozenset[Atoms]) -> list[Atoms]:
        """The hidden sums every vector of `fits` leaves unchanged."""
        key = (fits[0], hidden)
        if key not in self._disclosed:
            ordered = sorted(hidden, key=sorted)
            vectors = np.zeros((len(ordered), self.width))
            for row, sums in enumerate(ordered):
                vectors[row, list(sums)] = 1.0
            moved = np.abs(vectors @ fits[1]) > _TOLERANCE if ordered else np.zeros((0, 1))
            self._disclosed[key] = [s for s, m in zip(ordered, moved, strict=True) if not m.any()]
        return self._disclosed[key]

    def _once(self, key: Hashable, work: Callable[[], Matrix]) -> tuple[int, Matrix]:
        if key not in self._ids:
            space = work()
            # Equal subspaces get one id whatever they came from (a change far below that
            # leaves a scope's space as it was need not be worked through above it).
            projector = np.round(space @ space.T, 8) + 0.0  # + 0.0: no negative zeros
            content = hashlib.sha256(projector.tobytes()).digest()
            self._ids[key] = self._ids.setdefault(content, len(self._spaces))
            self._spaces.setdefault(self._ids[key], space)
        found = self._ids[key]
        return found, self._spaces[found]


def _disclosed(
    tree: Hierarchy,
    hidden: Mapping[str, set[Atoms]],
    spaces: _Spaces,
    known: Collection[str],
) -> list[tuple[str, Atoms]]:
    """The hidden sums the scopes' shown numbers determine, as (scope, sums)."""
    nodes = [n for n in tree.parent if n in hidden]
    frozen = {node: frozenset(hidden[node]) for node in nodes}
    unseen: dict[str, tuple[int, Matrix]] = {}
    for node in sorted(nodes, key=tree.depth, reverse=True):
        own = spaces.null(node, frozen[node])
        below = [unseen[c] for c in tree.children[node] if c in unseen]
        unseen[node] = spaces.meet(own, below) if below else own
    fits: dict[str, tuple[int, Matrix]] = {}
    for node in sorted(nodes, key=tree.depth):
        parent = tree.parent[node]
        if parent is None or parent not in fits:
            fits[node] = unseen[node]
            continue
        others = [unseen[s] for s in tree.children[parent] if s != node and s in unseen]
        fits[node] = spaces.meet(unseen[node], [fits[parent], *others])
    return [
        (node, sums)
        for node in sorted(nodes)
        if node not in known
        for sums in spaces.disclosed(fits[node], frozen[node])
    ]


def _more(
    exposed: list[tuple[str, Atoms]],
    tree: Hierarchy,
    hidden: Mapping[str, set[Atoms]],
    values: Mapping[str, Mapping[Atoms, int]],
    known: Collection[str],
) -> dict[str, set[Atoms]]:
    """One more hidden cell for each disclosed one whose family gained none this round."""
    more: dict[str, set[Atoms]] = {}
    for node, sums in exposed:
        family = _family(node, tree, hidden, known)
        if any(sums in more.get(n, set()) for n in family):
            continue  # a relative of this round hides the same cell already
        for group in _relatives(node, tree, known):
            candidates = [n for n in group if sums not in hidden[n] and sums in values[n]]
            if candidates:
                chosen = min(candidates, key=lambda n: (values[n][sums], n))
                more.setdefault(chosen, set()).add(sums)
                break
        else:
            more_for = _overlapping(node, sums, tree, hidden, values, known)
            for other, cells in more_for.items():
                more.setdefault(other, set()).update(cells)
    return {node: sums for node, sums in more.items() if sums}


def _overlapping(
    node: str,
    sums: Atoms,
    tree: Hierarchy,
    hidden: Mapping[str, set[Atoms]],
    values: Mapping[str, Mapping[Atoms, int]],
    known: Collection[str],
) -> dict[str, set[Atoms]]:
    """When every relative hides the cell already, the number comes through the cells that
    overlap it (its row's and column's totals, tables sharing its atoms): hide those in the
    nearest relative that shows any; failing that, every shown number of the siblings."""
    for relative in _relatives(node, tree, known):
        for other in sorted(relative, key=lambda n: (values[n].get(sums, 0), n)):
            near = {s for s in values[other] if s & sums and s not in hidden[other]}
            if near:
                return {other: near}
    return {s: set(values[s]) - hidden[s] for s in _siblings(node, tree, known)}


def _relatives(node: str, tree: Hierarchy, known: Collection[str]) -> list[list[str]]:
    """Where to hide the same cell, in order: a sibling, a child, the parent."""
    parent = tree.parent[node]
    below = [c for c in tree.children[node] if c not in known]
    above = [parent] if parent is not None and parent not in known else []
    return [_siblings(node, tree, known), below, above]


def _siblings(node: str, tree: Hierarchy, known: Collection[str]) -> list[str]:
    parent = tree.parent[node]
    if parent is None:
        return []
    return [s for s in tree.children[parent] if s != node and s not in known]


def _family(
    node: str, tree: Hierarchy, hidden: Mapping[str, set[Atoms]], known: Collection[str]
) -> list[str]:
    return [n for group in _relatives(node, tree, known) for n in group if n in hidden]


def _values(release: Release) -> dict[Atoms, int]:
    return {c.atoms: c.value or 0 for t in release.tables for c in t.cells() if c.atoms}


def _vector(sums: Atoms, index: Mapping[int, int]) -> Matrix:
    vector = np.zeros(len(index))
    vector[[index[a] for a in sums]] = 1.0
    return vector


def _span(bases: list[Matrix], width: int) -> Matrix:
    """An orthonormal basis (columns) of the sum of the subspaces."""
    joined = np.hstack(bases) if bases else np.zeros((width, 0))
    if joined.shape[1] == 0:
        return np.zeros((width, 0))
    u, singular, _ = svd(joined, full_matrices=False)
    rank = int(np.sum(singular > _TOLERANCE * max(1.0, float(singular.max(initial=0.0)))))
    basis: Matrix = u[:, :rank]
    return basis


def _meet(a: Matrix, b: Matrix) -> Matrix:
    """An orthonormal basis (columns) of the intersection of two subspaces given by
    orthonormal bases: the combinations of `a`'s columns that `b` leaves no residue of."""
    width = a.shape[0]
    if a.shape[1] == 0 or b.shape[1] == 0:
        return np.zeros((width, 0))
    residue = a - b @ (b.T @ a)
    _, singular, vt = svd(residue, full_matrices=False)
    meet: Matrix = a @ vt[singular <= _TOLERANCE].T
    return meet
