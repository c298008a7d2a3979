"""Shares the dashboard publishes: percentages worked out from its protected counts, so a
share never reveals a suppressed number."""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.statistics.tables import Release, Shorthand


@dataclass(frozen=True)
class Share:
    """A published share: `part` of `whole` of one row of a table, as a percentage."""

    table: str
    row: str
    label: str
    percent: float | None
    shorthand: Shorthand | None


@dataclass(frozen=True)
class ShareSpec:
    """Which cells a share divides: the `part` column (or row, with `part_row`) by `whole`."""

    table: str
    label: str
    part: str
    whole: str
    part_row: str | None = None  # a row of the same column, for a rate down the table


SHARES = (
    ShareSpec("Dash_1", "Gateway assessments within the target", "Within the target", "Total"),
    ShareSpec("Dash_4", "Reviews on time", "On time", "Total"),
    ShareSpec("Dash_5", "Re-referral rate", "Referrals", "Referrals", part_row="Re-referral"),
)


def shares(release: Release) -> list[Share]:
    """Each row's share (a rate's only on its total row), from the published cells."""
    found: list[Share] = []
    for spec in SHARES:
        table = next(t for t in release.tables if t.code == spec.table)
        rows = ["Total"] if spec.part_row else [row.label for row in table.rows]
        for row in rows:
            part = table.value(spec.part_row or row, spec.part)
            whole = table.value(row, spec.whole)
            found.append(_share(spec, row, part, whole))
    return found


def _share(
    spec: ShareSpec, row: str, part: int | Shorthand | None, whole: int | Shorthand | None
) -> Share:
    if isinstance(part, Shorthand) or isinstance(whole, Shorthand):
        return Share(spec.table, row, spec.label, None, Shorthand.SUPPRESSED)
    if not whole:
        return Share(spec.table, row, spec.label, None, Shorthand.NOT_AVAILABLE)
    return Share(spec.table, row, spec.label, round(100 * (part or 0) / whole, 1), None)
