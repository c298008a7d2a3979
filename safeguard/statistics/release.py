"""The release's tables for one period and scope, built from counts by dimension and outcome.

`Counts` comes from the statistics service's read model (one GROUP BY over the fact rows); this
module decides the tables, their order, wording and notes, and which atoms each cell sums, so a
caller (the API, the downloads, a chart) never re-adds numbers itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from safeguard.statistics.areas import Scope
from safeguard.statistics.categories import (
    CONCERNS,
    DISCUSSED,
    GENDERS,
    OUTCOMES,
    SECTORS,
    AgeScheme,
    labels_of,
)
from safeguard.statistics.periods import Period
from safeguard.statistics.tables import Cell, Release, Row, Table

# dimension code -> (category label, outcome code) -> referrals
Counts = Mapping[str, Mapping[tuple[str, str], int]]
Atoms = frozenset[int]

NOTES: dict[int, str] = {
    1: "Referrals received in the period, counted once each (a re-referral of the same person"
    " is a new referral). Outcomes are as recorded when these tables were made: a referral"
    " still being assessed is awaiting an outcome.",
    2: "Counts from 1 to {below} are shown as [c] (suppressed), and so are further cells"
    " chosen so that no suppressed number can be worked out from the totals or other tables.",
    3: "Age in whole years on the day the referral was received, in the groups: {ages}. The"
    " date of birth is not held by the statistics.",
    4: "Gender as the referrer recorded it; non-binary and other are counted together as"
    " Other. Age and gender are not known for referrals whose personal data was erased at the"
    " end of its retention period.",
    5: "Each referral has one outcome, the furthest it went: a case adopted by a Channel panel"
    " is counted as adopted, not also as discussed.",
    6: "Discussed at a Channel panel includes the cases the panel adopted.",
    7: "Areas are local authorities by ONS code; police force areas and regions as the area"
    " table maps them. A referral counts in the area it was received for.",
}


@dataclass(frozen=True)
class Dimension:
    """What a table splits referrals by: its code, its wording and its categories in order."""

    code: str
    noun: str
    heading: str
    labels: tuple[str, ...]
    notes: tuple[int, ...] = ()
    channel: bool = False  # whether the release has a Channel table by it


def dimensions(period: Period, ages: AgeScheme) -> list[Dimension]:
    """The dimensions of a release of `period` (a year's release splits by quarter too)."""
    found = [
        Dimension("sector", "sector of referrer", "Sector of referrer", labels_of(SECTORS)),
        Dimension(
            "concern", "type of concern", "Type of concern", labels_of(CONCERNS), channel=True
        ),
        Dimension("age", "age group", "Age group", ages.labels, notes=(3,), channel=True),
        Dimension("gender", "gender", "Gender", labels_of(GENDERS), notes=(4,)),
    ]
    if period.quarter is None:
        quarters = tuple(Period(period.year, q).label for q in range(1, 5))
        found.insert(0, Dimension("quarter", "quarter received", "Quarter received", quarters))
    return found


class _Atoms:
    """Numbers the atoms (dimension, category, outcome) and counts them."""

    def __init__(self, counts: Counts) -> None:
        self._counts = counts
        self._ids: dict[tuple[str, str, str], int] = {}

    def of(self, dim: Dimension, labels: tuple[str, ...], outcomes: tuple[str, ...]) -> Cell:
        """The cell summing these categories and outcomes."""
        keys = list(itertools.product(labels, outcomes))
        atoms = frozenset(self._ids.setdefault((dim.code, *k), len(self._ids)) for k in keys)
        value = sum(self._counts.get(dim.code, {}).get(k, 0) for k in keys)
        return Cell(value, atoms)


def build_release(counts: Counts, *, period: Period, scope: Scope, ages: AgeScheme) -> Release:
    """Every table of the release, unsuppressed (see `disclosure.protect`)."""
    atoms = _Atoms(counts)
    dims = dimensions(period, ages)
    specs = [(_referrals, d) for d in dims] + [(_outcomes, d) for d in dims]
    specs += [(_channel, d) for d in dims if d.channel]
    tables = [
        make(atoms, dim, f"Table_{n}", f"{scope.name}, {period.label}")
        for n, (make, dim) in enumerate(specs, start=1)
    ]
    return Release(
        title="Individuals referred to and supported through the Prevent programme",
        period=period.label,
        scope=scope.name,
        tables=tuple(tables),
        notes=dict(NOTES),
        identities=_identities(atoms, dims),
        extra={"age_groups": ages.description},
    )


def _rows(atoms: _Atoms, dim: Dimension, columns: list[tuple[str, ...]]) -> tuple[Row, ...]:
    rows = [
        Row(label, tuple(atoms.of(dim, (label,), outcomes) for outcomes in columns))
        for label in dim.labels
    ]
    total = Row("Total", tuple(atoms.of(dim, dim.labels, o) for o in columns), total=True)
    return (*rows, total)


def _referrals(atoms: _Atoms, dim: Dimension, code: str, where: str) -> Table:
    return Table(
        code=code,
        title=f"{code.replace('_', ' ')}: Referrals by {dim.noun}, {where}",
        row_heading=dim.heading,
        columns=("Number of referrals",),
        rows=_rows(atoms, dim, [tuple(OUTCOMES)]),
        notes=(1, *dim.notes),
    )


def _outcomes(atoms: _Atoms, dim: Dimension, code: str, where: str) -> Table:
    columns = [(o,) for o in OUTCOMES] + [tuple(OUTCOMES)]
    return Table(
        code=code,
        title=f"{code.replace('_', ' ')}: Outcomes of referrals by {dim.noun}, {where}",
        row_heading=dim.heading,
        columns=(*OUTCOMES.values(), "Total"),
        rows=_rows(atoms, dim, columns),
        notes=(1, 5, *dim.notes),
    )


def _channel(atoms: _Atoms, dim: Dimension, code: str, where: str) -> Table:
    return Table(
        code=code,
        title=f"{code.replace('_', ' ')}: Channel cases discussed and adopted by {dim.noun},"
        f" {where}",
        row_heading=dim.heading,
        columns=("Discussed at a Channel panel", "Adopted as a Channel case"),
        rows=_rows(atoms, dim, [DISCUSSED, ("adopted",)]),
        notes=(1, 6, *dim.notes),
    )


def _identities(atoms: _Atoms, dims: list[Dimension]) -> tuple[tuple[Atoms, Atoms], ...]:
    """Totals that are the same number whichever dimension splits them."""
    sums = [tuple(OUTCOMES), DISCUSSED, *((o,) for o in OUTCOMES)]
    return tuple(
        (atoms.of(a, a.labels, outcomes).atoms, atoms.of(b, b.labels, outcomes).atoms)
        for outcomes in sums
        for a, b in itertools.combinations(dims, 2)
    )


def note_texts(release: Release) -> dict[int, str]:
    """The notes as the reader sees them, with the release's threshold and age groups in."""
    below = release.suppressed_below
    texts = {
        n: text.format(below=(below or 1) - 1, ages=release.extra.get("age_groups", ""))
        for n, text in release.notes.items()
    }
    if below is None:
        texts[2] = "No number in these tables is suppressed."
    return texts
