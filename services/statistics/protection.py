"""The release's tables and the Prevent lead's figures of every scope of a period, protected
together in the background.

A reader who may download an area's tables and its force's can subtract, so every area,
police force area and region of a period is protected as one system
(`safeguard.statistics.hierarchy`). That takes tens of seconds for a year with referrals in
every area: too long for a request. So one process of the deployment (the holder of
`PROTECTOR_LOCK`, like the facts filler) does it for the periods readers ask for, from one
snapshot of the fact rows, and stores each scope's counts and hidden sums (for a dashboard,
its answer as served); the API serves those (`service.release_for`, `dashboard.dashboard_for`)
and answers "being prepared" until the first is made.

A period asked for within `protection_keep_days` is counted again once its protection is
`protection_refresh_seconds` old; the same counts keep the protection (a new fingerprint is
all that makes it work again).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from safeguard.db.listening import keep_listening
from safeguard.db.pool import Connection, Pool
from safeguard.settings import Settings
from safeguard.statistics.areas import AreaTable, Level, Scope, shipped_areas
from safeguard.statistics.categories import AGE_SCHEMES, AgeScheme
from safeguard.statistics.dashboard import Dashboard
from safeguard.statistics.hierarchy import NATIONAL, Hierarchy, hierarchy_of, protect_together
from safeguard.statistics.periods import Period, parse_period
from safeguard.statistics.release import Counts, build_release
from safeguard.statistics.tables import Release, Shorthand
from services.statistics import protection_store as store
from services.statistics.dashboard import unprotected
from services.statistics.dashboard_models import dashboard_read
from services.statistics.protection_store import DASHBOARD
from services.statistics.service import count, counts_json, when

logger = logging.getLogger(__name__)
# Held by the one process that protects; any constant, the same in every process.
PROTECTOR_LOCK = 0x57A7_C0DE
# How often the holder looks for periods to count again, at most.
_POLL_SECONDS = 60.0


@dataclass(frozen=True)
class Snapshot:
    """Every scope's figures of a period, unprotected, read at one instant."""

    made_at: dt.datetime
    releases: dict[str, Release]
    # What the fingerprint hashes: the same figures need no new protection.
    canonical: object
    # A scope's stored content, given its protected release.
    content: Callable[[str, Release], object]


async def protect_period(pool: Pool, *, period: Period, kind: str, settings: Settings) -> bool:
    """Every scope of the period read from one snapshot, protected together and stored,
    unless the figures are those already stored. Whether it protected anew."""
    table = shipped_areas()
    tree = hierarchy_of(table)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        if kind == DASHBOARD:
            snap = await _dashboards(conn, table, tree, period=period, settings=settings)
        else:
            snap = await _releases(conn, table, tree, period=period, ages=AGE_SCHEMES[kind])
    stats = settings.statistics
    whole, threshold = not stats.suppress_national, stats.suppression_threshold
    made = store.Made(
        snap.made_at, threshold, whole, _fingerprint(snap.canonical, threshold, whole)
    )
    async with pool.acquire() as conn:
        if await store.fingerprint(conn, period=period.code, kind=kind) == made.fingerprint:
            await store.still_fresh(conn, period=period.code, kind=kind, made_at=snap.made_at)
            return False
    # Seconds of numpy and Python: off the event loop, so the API's requests go on. A thread
    # cannot be cancelled, so a cancelled protection tells it to stop at its next step.
    stopping = threading.Event()
    try:
        protected = await asyncio.to_thread(
            protect_together,
            snap.releases,
            tree,
            threshold,
            published_whole=(NATIONAL,) if whole else (),
            stop=stopping.is_set,
        )
    except asyncio.CancelledError:
        stopping.set()
        raise
    scopes = {node: snap.content(node, protected[node]) for node in snap.releases}
    async with pool.acquire() as conn, conn.transaction():
        await store.save(conn, period=period.code, kind=kind, made=made, scopes=scopes)
    return True


async def _releases(
    conn: Connection, table: AreaTable, tree: Hierarchy, *, period: Period, ages: AgeScheme
) -> Snapshot:
    made_at: dt.datetime = await conn.fetchval("SELECT now()")
    counts_of = await every_scope(conn, table, tree, period=period, ages=ages)
    releases = {
        node: build_release(c, period=period, scope=scope_of(table, node), ages=ages)
        for node, c in counts_of.items()
    }
    canonical = {node: counts_json(c) for node, c in counts_of.items()}

    def content(node: str, protected: Release) -> object:
        return {"counts": canonical[node], "hidden": sorted(map(sorted, hidden_in(protected)))}

    return Snapshot(made_at, releases, canonical, content)


async def _dashboards(
    conn: Connection, table: AreaTable, tree: Hierarchy, *, period: Period, settings: Settings
) -> Snapshot:
    """Every scope's dashboard, each counted over its areas (a force's facts are its areas'
    facts together, so its counts are theirs added up, as the joint protection assumes)."""
    now: dt.datetime = await conn.fetchval("SELECT now()")
    found = {
        node: await unprotected(
            conn, period=period, scope=scope_of(table, node), settings=settings, now=now
        )
        for node in tree.parent
    }
    canonical = {
        node: dashboard_read(d, made_at="").model_dump(mode="json") for node, d in found.items()
    }

    def content(node: str, protected: Release) -> object:
        kept = Dashboard(protected, found[node].spreads)
        return dashboard_read(kept, made_at=when(now)).model_dump(mode="json")

    return Snapshot(now, {node: d.release for node, d in found.items()}, canonical, content)


async def every_scope(
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
            found[node] = await count(conn, period=period, scope=scope_of(table, node), ages=ages)
    return found


def scope_of(table: AreaTable, node: str) -> Scope:
    """The scope a hierarchy key names."""
    level, _, code = node.partition(":")
    return table.scope(Level(level), code or None)


def hidden_in(release: Release) -> set[frozenset[int]]:
    """The sums a protected release shows as [c]."""
    return {
        cell.atoms
        for t in release.tables
        for cell in t.cells()
        if cell.shorthand is Shorthand.SUPPRESSED
    }


def _added(parts: list[Counts]) -> Counts:
    total: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for part in parts:
        for dimension, cells in part.items():
            for key, n in cells.items():
                total[dimension][key] = total[dimension].get(key, 0) + n
    return total


def _fingerprint(canonical: object, threshold: int, whole: bool) -> bytes:
    """The same figures under the same settings give the same protection."""
    text = json.dumps([canonical, threshold, whole], sort_keys=True)
    return hashlib.sha256(text.encode()).digest()


class Protector:
    """Keeps the protections of the periods readers ask for made and fresh."""

    def __init__(self, *, pool: Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Until cancelled: wait for the lock, then protect what is due while it is held."""
        await keep_listening(
            self._pool,
            channel=store.CHANNEL,
            on_notify=self._wake.set,
            body=self._lead,
            what="statistics protector",
            advisory_lock=PROTECTOR_LOCK,
        )

    async def _lead(self, lost: asyncio.Event) -> None:
        poll = min(_POLL_SECONDS, self._settings.statistics.protection_refresh_seconds)
        while not lost.is_set():
            self._wake.clear()
            try:
                await self.protect_due(lost)
            except Exception:  # a database blip must not end the protector
                logger.exception("protecting the statistics failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll)

    async def protect_due(self, lost: asyncio.Event | None = None) -> int:
        """Every period due, missing ones first; how many were protected anew."""
        settings = self._settings.statistics
        async with self._pool.acquire() as conn:
            due = await store.due(
                conn,
                within=dt.timedelta(days=settings.protection_keep_days),
                every=dt.timedelta(seconds=settings.protection_refresh_seconds),
                threshold=settings.suppression_threshold,
                whole=not settings.suppress_national,
            )
        made = 0
        for code, kind in due:
            if lost is not None and lost.is_set():
                break
            if kind != DASHBOARD and kind not in AGE_SCHEMES:
                continue  # a scheme this release no longer has: nobody can ask for it
            made += await self._protect(code, kind)
        return made

    async def _protect(self, code: str, kind: str) -> bool:
        """One period; a failure is logged and left for the next round (the others go on)."""
        began = asyncio.get_running_loop().time()
        try:
            fresh = await protect_period(
                self._pool, period=parse_period(code), kind=kind, settings=self._settings
            )
        except Exception:
            logger.exception("protecting the statistics %s of %s failed", kind, code)
            return False
        took = asyncio.get_running_loop().time() - began
        outcome = "protected" if fresh else "unchanged"
        logger.info("statistics %s of %s %s in %.1f s", kind, code, outcome, took)
        return fresh
