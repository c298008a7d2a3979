"""A release's tables: cells that are sums of counted "atoms", before and after suppression.

Every published number is the count of referrals in a set of atoms (one atom: referrals of one
category of one dimension with one outcome), so disclosure control can reason about which
numbers the others determine (`safeguard.statistics.disclosure`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Shorthand(StrEnum):
    """The Government Statistical Service's shorthand for a cell without a number."""

    SUPPRESSED = "[c]"  # confidential: suppressed for disclosure control
    NOT_AVAILABLE = "[x]"


@dataclass(frozen=True)
class Cell:
    """A published number (or its shorthand), and which atoms it sums."""

    value: int | None
    atoms: frozenset[int] = frozenset()
    shorthand: Shorthand | None = None

    @property
    def shown(self) -> bool:
        """Whether the cell shows its number."""
        return self.shorthand is None and self.value is not None


@dataclass(frozen=True)
class Row:
    """A row: its label and its cells, left to right."""

    label: str
    cells: tuple[Cell, ...]
    total: bool = False


@dataclass(frozen=True)
class Table:
    """One table of the release, as published on its own sheet.

    `code` names its sheet (Table_1, ...); `notes` are the note numbers the table refers to.
    """

    code: str
    title: str
    row_heading: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[int, ...] = ()

    def cells(self) -> list[Cell]:
        """Every cell, row by row."""
        return [cell for row in self.rows for cell in row.cells]

    def value(self, row: str, column: str) -> int | Shorthand | None:
        """The number (or shorthand) at a row and column label, for readers and tests."""
        cell = self.rows[[r.label for r in self.rows].index(row)].cells[self.columns.index(column)]
        return cell.shorthand or cell.value


@dataclass(frozen=True)
class Release:
    """The tables of one period and scope, with the notes they cite.

    `identities` are sums the reader knows to be equal though built from different atoms (the
    number adopted is the same whichever dimension it is split by); disclosure control counts
    them as published.
    """

    title: str
    period: str
    scope: str
    tables: tuple[Table, ...]
    notes: dict[int, str]
    identities: tuple[tuple[frozenset[int], frozenset[int]], ...] = ()
    suppressed_below: int | None = None
    made_at: str = ""
    extra: dict[str, str] = field(default_factory=dict)
