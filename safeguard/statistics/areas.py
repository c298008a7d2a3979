"""Where an area (a local authority, by its ONS code) sits: its police force area and region.

The mapping is data (`areas.csv`, from ONS's lookups of local authority to community safety
partnership to police force area, and of local authority to region), so a deployment replaces
or extends it without code. An area it does not list counts under "Not known" for force and
region, and is named by its code.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

from safeguard.statistics.categories import NOT_KNOWN


class Level(StrEnum):
    """What a scope of the release covers."""

    NATIONAL = "national"
    AREA = "area"
    FORCE = "force"
    REGION = "region"


@dataclass(frozen=True)
class Area:
    """One local authority area with its police force area and region (codes and names)."""

    code: str
    name: str
    force_code: str
    force_name: str
    region_code: str
    region_name: str


@dataclass(frozen=True)
class Scope:
    """The part of England and Wales a set of tables covers, and the areas it holds (None:
    every area, including those the table does not list)."""

    level: Level
    code: str | None
    name: str
    areas: frozenset[str] | None


class UnknownScopeError(ValueError):
    """No area, force or region has that code in the area table."""


@dataclass(frozen=True)
class AreaTable:
    """The areas, by code."""

    areas: Mapping[str, Area]

    def area(self, code: str) -> Area:
        """The area of a code; an area the table lacks is named by its code, not known."""
        return self.areas.get(code) or Area(code, code, "", NOT_KNOWN, "", NOT_KNOWN)

    def scope(self, level: Level, code: str | None = None) -> Scope:
        """The scope of a level and code; `UnknownScopeError` if nothing has that code."""
        if level is Level.NATIONAL:
            return Scope(level, None, "England and Wales", None)
        held = [a for a in self.areas.values() if _code_at(a, level) == code]
        if not held:
            raise UnknownScopeError(f"no {level.value} has the code {code!r}")
        name = _name_at(held[0], level)
        return Scope(level, code, name, frozenset(a.code for a in held))


def _code_at(area: Area, level: Level) -> str:
    return {Level.AREA: area.code, Level.FORCE: area.force_code}.get(level, area.region_code)


def _name_at(area: Area, level: Level) -> str:
    return {Level.AREA: area.name, Level.FORCE: area.force_name}.get(level, area.region_name)


def read_areas(path: Path | None = None) -> AreaTable:
    """The area table in `path`, or the one shipped with the package."""
    text = (
        path.read_text(encoding="utf-8")
        if path
        else resources.files(__package__).joinpath("areas.csv").read_text(encoding="utf-8")
    )
    rows = [_area(row) for row in csv.DictReader(text.splitlines())]
    return AreaTable({row.code: row for row in rows})


def _area(row: dict[str, str]) -> Area:
    return Area(
        code=row["area_code"],
        name=row["area_name"],
        force_code=row["force_code"],
        force_name=row["force_name"],
        region_code=row["region_code"],
        region_name=row["region_name"],
    )


@cache
def shipped_areas() -> AreaTable:
    """The package's own area table, read once."""
    return read_areas()
