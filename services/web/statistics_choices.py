"""What the statistics pages let people choose: periods and areas, as select options."""

from __future__ import annotations

import datetime as dt
from typing import Any

from safeguard.statistics.periods import Period, local_day, period_of

YEARS_OFFERED = 6  # the current financial year and the five before it
NATIONAL = "national"


def current_year(now: dt.datetime | None = None) -> Period:
    """The financial year today falls in."""
    today = local_day(now or dt.datetime.now(dt.UTC))
    return Period(period_of(today).year)


def period_options(selected: str, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each offered year, then its quarters, newest first."""
    first = current_year(now).year
    items = []
    for year in range(first, first - YEARS_OFFERED, -1):
        for period in (Period(year), *(Period(year, q) for q in range(1, 5))):
            name = (
                f"{period.code}: {period.label}"
                if period.quarter is None
                else f"{period.code}: quarter {period.quarter}, {period.label}"
            )
            items.append({"value": period.code, "text": name, "selected": period.code == selected})
    return items


def scope_options(areas: list[dict[str, Any]], selected: str) -> list[dict[str, Any]]:
    """England and Wales, then regions, police force areas and local authorities by name."""
    regions = {a["region_code"]: a["region_name"] for a in areas if a["region_code"]}
    forces = {a["force_code"]: a["force_name"] for a in areas if a["force_code"]}
    local = {a["code"]: a["name"] for a in areas}
    choices = [(NATIONAL, "England and Wales")]
    for level, kind, names in (
        ("region", "Region", regions),
        ("force", "Police force area", forces),
        ("area", "Local authority", local),
    ):
        choices += [(f"{level}:{c}", f"{kind}: {n}") for c, n in sorted(names.items(), key=_name)]
    return [{"value": v, "text": t, "selected": v == selected} for v, t in choices]


def _name(item: tuple[str, str]) -> str:
    return item[1]


def scope_name(options: list[dict[str, Any]], selected: str) -> str:
    """The chosen scope's words."""
    chosen = next((o["text"] for o in options if o["value"] == selected), selected)
    return str(chosen).split(": ", 1)[-1]
