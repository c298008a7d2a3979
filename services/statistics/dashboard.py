"""The Prevent lead's figures for a period and scope: the national figures counted when they
are published whole; every other scope as the background protector stored it, protected
together with the period's other scopes (`services.statistics.protection`)."""

from __future__ import annotations

import datetime as dt

from safeguard.db.pool import Connection
from safeguard.settings import Settings
from safeguard.statistics.areas import Level, Scope
from safeguard.statistics.dashboard import Dashboard, DashboardFacts, Target, build_dashboard
from safeguard.statistics.periods import Period, bounds
from services.statistics import dashboard_store as store
from services.statistics.dashboard_models import DashboardRead, dashboard_read
from services.statistics.protection_store import DASHBOARD
from services.statistics.service import stored, when


async def dashboard_for(
    conn: Connection, *, period: Period, scope: Scope, settings: Settings, now: dt.datetime
) -> DashboardRead:
    """The figures as of `now` (national, published whole) or as last protected; a 503
    problem ("Figures being prepared") until the period's are first made."""
    stats = settings.statistics
    if scope.level is Level.NATIONAL and not stats.suppress_national:
        live = await unprotected(conn, period=period, scope=scope, settings=settings, now=now)
        return dashboard_read(live, made_at=when(now))
    kept = await stored(conn, period=period, kind=DASHBOARD, scope=scope, settings=stats)
    # As of the last time the figures were read (unchanged since they were protected).
    found = DashboardRead.model_validate(kept.content)
    return found.model_copy(update={"made_at": when(kept.made.made_at)})


async def unprotected(
    conn: Connection, *, period: Period, scope: Scope, settings: Settings, now: dt.datetime
) -> Dashboard:
    """The scope's figures as of `now`, before disclosure control."""
    start, end = bounds(period)
    areas = None if scope.areas is None else sorted(scope.areas)
    facts = DashboardFacts(
        gateway=await store.gateway(conn, start=start, end=end, areas=areas),
        open_tasks=await store.open_tasks(conn, now=now, areas=areas),
        consents=await store.consents(conn, start=start, end=end, areas=areas),
        reviews=await store.reviews(conn, start=start, end=min(end, now), areas=areas),
        referrals=await store.referrals(conn, start=start, end=end, areas=areas),
        stage_days=await store.stage_days(conn, start=start, end=end, areas=areas),
    )
    policy = settings.lifecycle
    target = Target(policy.assessment_working_days, policy.holiday_subdivision)
    return build_dashboard(facts, period=period, scope=scope, now=now, target=target)
