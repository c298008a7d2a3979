"""The Prevent lead's figures for a period and scope: counted, built, protected."""

from __future__ import annotations

import datetime as dt

from safeguard.db.pool import Connection
from safeguard.settings import Settings
from safeguard.statistics.areas import Level, Scope
from safeguard.statistics.dashboard import Dashboard, DashboardFacts, Target, build_dashboard
from safeguard.statistics.disclosure import protect
from safeguard.statistics.periods import Period, bounds
from services.statistics import dashboard_store as store


async def dashboard_for(
    conn: Connection, *, period: Period, scope: Scope, settings: Settings, now: dt.datetime
) -> Dashboard:
    """The figures as of `now`, protected where the release's tables would be."""
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
    found = build_dashboard(facts, period=period, scope=scope, now=now, target=target)
    stats = settings.statistics
    if scope.level is Level.NATIONAL and not stats.suppress_national:
        return found
    return Dashboard(protect(found.release, stats.suppression_threshold), found.spreads)
