"""The dashboard's JSON: count tables as the release's, shares, and time in each stage."""

from __future__ import annotations

from pydantic import BaseModel, Field

from safeguard.statistics.dashboard import WORKING_DAYS_ROW, Dashboard
from safeguard.statistics.release import note_texts
from safeguard.statistics.shares import shares
from safeguard.statistics.tables import Shorthand
from services.statistics.models import CellRead, NoteRead, TableRead, tables_read


class ShareRead(BaseModel):
    """A percentage worked out from two published counts of one row of a table."""

    table: str = Field(examples=["Dash_1"])
    row: str
    label: str = Field(examples=["Gateway assessments within the target"])
    percent: float | None = Field(description="None where `shorthand` stands instead.")
    shorthand: Shorthand | None = Field(
        None, description="[c]: a count behind it is suppressed; [x]: nothing to divide by."
    )


class StageTimeRead(BaseModel):
    """How long cases spent in a stage: median and 90th percentile, over `cases`."""

    stage: str
    unit: str = Field(examples=["days", "working days"])
    cases: CellRead
    median: float | None = Field(description="None where `shorthand` stands instead.")
    p90: float | None = Field(description="The 90th percentile; None as for `median`.")
    shorthand: Shorthand | None = Field(
        None, description="[c]: too few cases (suppressed); [x]: no case in the period."
    )


class DashboardRead(BaseModel):
    """The Prevent lead's figures for one period and scope; aggregates only."""

    title: str
    period: str
    scope: str
    made_at: str
    suppressed_below: int | None
    notes: list[NoteRead]
    tables: list[TableRead]
    shares: list[ShareRead]
    stage_times: list[StageTimeRead]


def dashboard_read(dashboard: Dashboard, *, made_at: str) -> DashboardRead:
    """The JSON of the dashboard."""
    release = dashboard.release
    return DashboardRead(
        title=release.title,
        period=release.period,
        scope=release.scope,
        made_at=made_at,
        suppressed_below=release.suppressed_below,
        notes=[NoteRead(number=n, text=text) for n, text in note_texts(release).items()],
        tables=tables_read(release),
        shares=[ShareRead(**vars(share)) for share in shares(release)],
        stage_times=_stage_times(dashboard),
    )


def _stage_times(dashboard: Dashboard) -> list[StageTimeRead]:
    table = next(t for t in dashboard.release.tables if t.code == "Dash_6")
    found = []
    for row in table.rows:
        cell = row.cells[0]
        spread = dashboard.spreads.get(row.label)
        unit = "working days" if row.label == WORKING_DAYS_ROW else "days"
        shorthand = cell.shorthand or (None if spread else Shorthand.NOT_AVAILABLE)
        shown = spread if shorthand is None else None
        found.append(
            StageTimeRead(
                stage=row.label,
                unit=unit,
                cases=CellRead(
                    value=None if cell.shorthand else cell.value, shorthand=cell.shorthand
                ),
                median=shown.median if shown else None,
                p90=shown.p90 if shown else None,
                shorthand=shorthand,
            )
        )
    return found
