"""The release for a period and scope: the national tables counted from the fact rows when
they are published whole; every other scope as the background protector stored it, protected
together with the period's other scopes (`services.statistics.protection`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from typing import Any

from safeguard.db.pool import Connection
from safeguard.errors import ProblemError
from safeguard.settings import StatisticsSettings
from safeguard.statistics.areas import Level, Scope
from safeguard.statistics.categories import CONCERNS, GENDERS, NOT_KNOWN, SECTORS, AgeScheme
from safeguard.statistics.disclosure import suppress
from safeguard.statistics.hierarchy import scope_key
from safeguard.statistics.periods import Period, bounds, parse_period
from safeguard.statistics.release import Counts, build_release
from safeguard.statistics.tables import Release
from services.statistics import protection_store, store

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
    """The release's tables, with disclosure control where the settings ask for it; a 503
    problem ("Figures being prepared") while the period's protection is first being made."""
    if scope.level is Level.NATIONAL and not settings.suppress_national:
        counts = await count(conn, period=period, scope=scope, ages=ages)
        release = build_release(counts, period=period, scope=scope, ages=ages)
        return replace(release, made_at=when(dt.datetime.now(dt.UTC)))
    found = await stored(conn, period=period, kind=ages.code, scope=scope, settings=settings)
    release = build_release(counts_from(found.content), period=period, scope=scope, ages=ages)
    release = replace(release, made_at=when(found.made.made_at))
    hidden = {frozenset(sums) for sums in found.content["hidden"]}
    return suppress(release, hidden, settings.suppression_threshold)


# How long to tell a caller to wait while a period is first protected.
PREPARING_RETRY_SECONDS = 30


async def stored(
    conn: Connection, *, period: Period, kind: str, scope: Scope, settings: StatisticsSettings
) -> protection_store.Stored:
    """The scope's figures as the protector stored them; a 503 problem ("Figures being
    prepared") while there are none made under these settings (the protector is woken)."""
    found = await protection_store.stored(
        conn, period=period.code, kind=kind, scope=scope_key(scope)
    )
    usable = found is not None and (found.made.threshold, found.made.national_whole) == (
        settings.suppression_threshold,
        not settings.suppress_national,
    )
    if found is None or not usable:
        await protection_store.request(conn, period=period.code, kind=kind, usable=False)
        raise ProblemError(
            503,
            "Figures being prepared",
            "The figures below the national level are protected together, which takes a"
            " minute or two the first time a period is asked for. Ask again shortly.",
            headers={"Retry-After": str(PREPARING_RETRY_SECONDS)},
        )
    if found.requested_at < dt.datetime.now(dt.UTC) - protection_store.NOTE_EVERY:
        await protection_store.request(conn, period=period.code, kind=kind, usable=True)
    return found


def when(at: dt.datetime) -> str:
    """How a release says when it was made."""
    return at.astimezone(dt.UTC).strftime("%d %B %Y %H:%M UTC")


# The counts as stored (jsonb travels as Python values; a cell's key as a list).
def counts_json(counts: Counts) -> dict[str, list[list[str | int]]]:
    """Counts as JSON: {dimension: [[label, outcome, n], ...]}."""
    return {dim: sorted([*key, n] for key, n in cells.items()) for dim, cells in counts.items()}


def counts_from(content: dict[str, Any]) -> Counts:
    """The counts of a stored release."""
    return {
        dim: {(str(c[0]), str(c[1])): int(c[2]) for c in cells}
        for dim, cells in content["counts"].items()
    }


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
