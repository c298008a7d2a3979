"""The release for a period and scope: counted from the fact rows, built, protected."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace

from safeguard.db.pool import Connection
from safeguard.settings import StatisticsSettings
from safeguard.statistics.areas import Level, Scope
from safeguard.statistics.categories import CONCERNS, GENDERS, NOT_KNOWN, SECTORS, AgeScheme
from safeguard.statistics.disclosure import protect
from safeguard.statistics.periods import Period, bounds, parse_period
from safeguard.statistics.release import Counts, build_release
from safeguard.statistics.tables import Release
from services.statistics import store

# Codes of the fact rows -> the release's row labels (age groups and quarters are kept as
# labels and quarter codes).
_LABELS = {"sector": SECTORS, "concern": CONCERNS, "gender": GENDERS}


async def release_for(
    conn: Connection,
    *,
    period: Period,
    scope: Scope,
    ages: AgeScheme,
    settings: StatisticsSettings,
) -> Release:
    """The release's tables, with disclosure control where the settings ask for it."""
    counts = await count(conn, period=period, scope=scope, ages=ages)
    release = build_release(counts, period=period, scope=scope, ages=ages)
    release = replace(release, made_at=dt.datetime.now(dt.UTC).strftime("%d %B %Y %H:%M UTC"))
    if scope.level is Level.NATIONAL and not settings.suppress_national:
        return release
    return protect(release, settings.suppression_threshold)


async def count(conn: Connection, *, period: Period, scope: Scope, ages: AgeScheme) -> Counts:
    """Referrals by dimension, category label and outcome (the bare aggregate)."""
    start, end = bounds(period)
    areas = None if scope.areas is None else sorted(scope.areas)
    rows = await store.counts(conn, start=start, end=end, areas=areas, scheme=ages.code)
    found: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for row in rows:
        label = _label(row["dimension"], row["category"])
        key = (label, row["outcome"])
        found[row["dimension"]][key] = found[row["dimension"]].get(key, 0) + row["n"]
    return found


def _label(dimension: str, category: str | None) -> str:
    if dimension == "quarter":
        return _quarter_label(category)
    if dimension == "age":
        return category or NOT_KNOWN
    labels = _LABELS[dimension]
    if category is None:
        return NOT_KNOWN
    return labels.get(category, labels.get("other", NOT_KNOWN))


def _quarter_label(code: str | None) -> str:
    return parse_period(code).label if code else NOT_KNOWN
