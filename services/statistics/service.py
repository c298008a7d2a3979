"""The release for a period and scope: counted from the fact rows, built, protected together
with every other scope of the period."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict, defaultdict
from collections.abc import Hashable
from dataclasses import replace

from safeguard.db.pool import Connection
from safeguard.settings import StatisticsSettings
from safeguard.statistics.areas import AreaTable, Level, Scope, shipped_areas
from safeguard.statistics.categories import CONCERNS, GENDERS, NOT_KNOWN, SECTORS, AgeScheme
from safeguard.statistics.hierarchy import (
    NATIONAL,
    Hierarchy,
    hierarchy_of,
    protect_together,
    scope_key,
)
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
    """The release's tables, with disclosure control where the settings ask for it: protected
    together with every other scope's tables of the period, since a reader can download them
    all and subtract (`safeguard.statistics.hierarchy`)."""
    made_at = dt.datetime.now(dt.UTC).strftime("%d %B %Y %H:%M UTC")
    whole = () if settings.suppress_national else (NATIONAL,)
    if scope_key(scope) in whole:
        counts = await count(conn, period=period, scope=scope, ages=ages)
        release = build_release(counts, period=period, scope=scope, ages=ages)
        return replace(release, made_at=made_at)
    table = shipped_areas()
    tree = hierarchy_of(table)
    counts_of = await _every_scope(conn, table, tree, period=period, ages=ages)
    key = (period.label, ages.code, settings.suppression_threshold, whole, _fingerprint(counts_of))
    protected = _PROTECTED.get(key)
    if protected is None:
        releases = {
            node: build_release(c, period=period, scope=_scope(table, node), ages=ages)
            for node, c in counts_of.items()
        }
        # Seconds of numpy for a full area table: off the event loop, so other requests go on.
        protected = await asyncio.to_thread(
            protect_together, releases, tree, settings.suppression_threshold, published_whole=whole
        )
        _remember(key, protected)
    return replace(protected[scope_key(scope)], made_at=made_at)


# The protected releases of the last few (period, counts) seen: protecting every scope together
# costs far more than counting, and the same counts always give the same suppression.
_PROTECTED: OrderedDict[Hashable, dict[str, Release]] = OrderedDict()
_REMEMBERED = 8


def _remember(key: Hashable, protected: dict[str, Release]) -> None:
    _PROTECTED[key] = protected
    while len(_PROTECTED) > _REMEMBERED:
        _PROTECTED.popitem(last=False)


async def _every_scope(
    conn: Connection, table: AreaTable, tree: Hierarchy, *, period: Period, ages: AgeScheme
) -> dict[str, Counts]:
    """Every scope's counts: each area counted, forces and regions their areas added up, and
    England and Wales counted whole (it has referrals of areas the table does not list)."""
    found: dict[str, Counts] = {
        NATIONAL: await count(conn, period=period, scope=table.scope(Level.NATIONAL), ages=ages)
    }
    for node in sorted(tree.parent, key=tree.depth, reverse=True):
        if node == NATIONAL:
            continue
        children = tree.children[node]
        if children:
            found[node] = _added([found[c] for c in children])
        else:
            found[node] = await count(conn, period=period, scope=_scope(table, node), ages=ages)
    return found


def _added(parts: list[Counts]) -> Counts:
    total: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for part in parts:
        for dimension, cells in part.items():
            for key, n in cells.items():
                total[dimension][key] = total[dimension].get(key, 0) + n
    return total


def _fingerprint(counts_of: dict[str, Counts]) -> tuple[object, ...]:
    return tuple(
        (node, tuple((d, tuple(sorted(cells.items()))) for d, cells in sorted(c.items())))
        for node, c in sorted(counts_of.items())
    )


def _scope(table: AreaTable, node: str) -> Scope:
    level, _, code = node.partition(":")
    return table.scope(Level(level), code or None)


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
