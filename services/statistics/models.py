"""The statistics API's answers: the release's tables as JSON, and what can be asked for."""

from __future__ import annotations

from pydantic import BaseModel, Field

from safeguard.statistics.areas import AreaTable
from safeguard.statistics.categories import AGE_SCHEMES
from safeguard.statistics.release import note_texts
from safeguard.statistics.tables import Release, Shorthand


class CellRead(BaseModel):
    """A number, or the shorthand shown in its place ([c] suppressed, [x] not available)."""

    value: int | None = Field(description="None where `shorthand` stands instead.")
    shorthand: Shorthand | None = None


class RowRead(BaseModel):
    """A row of a table."""

    label: str
    total: bool
    cells: list[CellRead]


class TableRead(BaseModel):
    """One table of the release, as on its sheet of the ODS download."""

    code: str = Field(examples=["Table_2"])
    title: str
    row_heading: str
    columns: list[str]
    rows: list[RowRead]
    notes: list[int] = Field(description="The numbers of the notes the table refers to.")


class NoteRead(BaseModel):
    """A note the tables refer to as [note n]."""

    number: int
    text: str


class ReleaseRead(BaseModel):
    """The release's tables for one period and scope."""

    title: str
    period: str
    scope: str
    made_at: str
    suppressed_below: int | None = Field(
        description="Counts below this (and cells that would reveal them) are [c]; None: none"
        " suppressed."
    )
    age_groups: str
    notes: list[NoteRead]
    tables: list[TableRead]


class AgeSchemeRead(BaseModel):
    """A set of age groups a release can be made with."""

    code: str
    description: str
    groups: list[str]


class AreaRead(BaseModel):
    """An area with its police force area and region."""

    code: str
    name: str
    force_code: str
    force_name: str
    region_code: str
    region_name: str


def release_read(release: Release) -> ReleaseRead:
    """The JSON of a release."""
    return ReleaseRead(
        title=release.title,
        period=release.period,
        scope=release.scope,
        made_at=release.made_at,
        suppressed_below=release.suppressed_below,
        age_groups=release.extra.get("age_groups", ""),
        notes=[NoteRead(number=n, text=text) for n, text in note_texts(release).items()],
        tables=tables_read(release),
    )


def tables_read(release: Release) -> list[TableRead]:
    """The JSON of the tables of a release (or of the dashboard's count tables)."""
    return [
        TableRead(
            code=t.code,
            title=t.title,
            row_heading=t.row_heading,
            columns=list(t.columns),
            notes=list(t.notes),
            rows=[
                RowRead(
                    label=r.label,
                    total=r.total,
                    cells=[
                        CellRead(value=None if c.shorthand else c.value, shorthand=c.shorthand)
                        for c in r.cells
                    ],
                )
                for r in t.rows
            ],
        )
        for t in release.tables
    ]


def age_schemes() -> list[AgeSchemeRead]:
    """Every age scheme."""
    return [
        AgeSchemeRead(code=s.code, description=s.description, groups=list(s.labels))
        for s in AGE_SCHEMES.values()
    ]


def areas_read(table: AreaTable) -> list[AreaRead]:
    """Every area of the area table."""
    return [AreaRead(**vars(area)) for area in table.areas.values()]
