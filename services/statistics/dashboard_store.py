"""The dashboard's SQL: the facts of one period and scope, counted in the database where they
are counts, read out where the figure is a spread (quantiles) or needs the calendar."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from safeguard.db.pool import Connection
from safeguard.statistics.dashboard import REVIEWS, STAGES, GatewayFact
from services.statistics.work_store import TaskKind


# Each query's last parameter is the scope's areas (NULL: every area), matched against the
# area the referral was received for.
async def gateway(
    conn: Connection, *, start: datetime, end: datetime, areas: Sequence[str] | None
) -> list[GatewayFact]:
    """Referrals received in [start, end): when due and first assessed."""
    rows = await conn.fetch(
        "SELECT received_at, assessment_due_at, first_assessed_at FROM statistics.referrals r"
        " WHERE received_at >= $1 AND received_at < $2"
        " AND ($3::text[] IS NULL OR r.area = ANY($3::text[]))",
        start,
        end,
        areas,
    )
    return [
        GatewayFact(r["received_at"], r["assessment_due_at"], r["first_assessed_at"]) for r in rows
    ]


async def open_tasks(
    conn: Connection, *, now: datetime, areas: Sequence[str] | None
) -> dict[tuple[str, bool], int]:
    """Tasks open now by kind and whether overdue (consent requests expire by themselves)."""
    rows = await conn.fetch(
        "SELECT t.kind, t.due_at < $1 AS overdue, count(*) AS n FROM statistics.tasks t"
        " JOIN statistics.referrals r USING (referral_id)"
        " WHERE t.done_at IS NULL AND t.cancelled_at IS NULL AND t.kind <> $2"
        " AND ($3::text[] IS NULL OR r.area = ANY($3::text[])) GROUP BY 1, 2",
        now,
        TaskKind.CONSENT.value,
        areas,
    )
    return {(r["kind"], r["overdue"]): r["n"] for r in rows}


async def consents(
    conn: Connection, *, start: datetime, end: datetime, areas: Sequence[str] | None
) -> dict[str, int]:
    """Consent requests made in [start, end) by decision (`awaiting`: none yet)."""
    rows = await conn.fetch(
        "SELECT coalesce(t.outcome, 'awaiting') AS outcome, count(*) AS n"
        " FROM statistics.tasks t JOIN statistics.referrals r USING (referral_id)"
        " WHERE t.kind = $1 AND t.opened_at >= $2 AND t.opened_at < $3"
        " AND (t.cancelled_at IS NULL OR t.done_at IS NOT NULL)"
        " AND ($4::text[] IS NULL OR r.area = ANY($4::text[])) GROUP BY 1",
        TaskKind.CONSENT.value,
        start,
        end,
        areas,
    )
    return {r["outcome"]: r["n"] for r in rows}


async def reviews(
    conn: Connection, *, start: datetime, end: datetime, areas: Sequence[str] | None
) -> dict[tuple[str, str], int]:
    """Reviews due in [start, end) (`end` no later than now) by kind and how they were held."""
    rows = await conn.fetch(
        "SELECT t.kind, CASE WHEN t.done_at IS NULL THEN 'not_held'"
        " WHEN t.done_at <= t.due_at THEN 'on_time' ELSE 'late' END AS status, count(*) AS n"
        " FROM statistics.tasks t JOIN statistics.referrals r USING (referral_id)"
        " WHERE t.kind = ANY($1::text[]) AND t.due_at >= $2 AND t.due_at < $3"
        " AND t.cancelled_at IS NULL"
        " AND ($4::text[] IS NULL OR r.area = ANY($4::text[])) GROUP BY 1, 2",
        list(REVIEWS),
        start,
        end,
        areas,
    )
    return {(r["kind"], r["status"]): r["n"] for r in rows}


async def referrals(
    conn: Connection, *, start: datetime, end: datetime, areas: Sequence[str] | None
) -> dict[bool, int]:
    """Referrals received in [start, end), re-referrals apart."""
    rows = await conn.fetch(
        "SELECT re_referral, count(*) AS n FROM statistics.referrals r"
        " WHERE received_at >= $1 AND received_at < $2"
        " AND ($3::text[] IS NULL OR r.area = ANY($3::text[])) GROUP BY 1",
        start,
        end,
        areas,
    )
    return {r["re_referral"]: r["n"] for r in rows}


async def stage_days(
    conn: Connection, *, start: datetime, end: datetime, areas: Sequence[str] | None
) -> dict[str, list[float]]:
    """Days spent in each stage, per visit that ended in [start, end)."""
    rows = await conn.fetch(
        "SELECT s.stage, extract(epoch FROM s.left_at - s.entered_at) / 86400 AS days"
        " FROM statistics.stages s JOIN statistics.referrals r USING (referral_id)"
        " WHERE s.left_at >= $1 AND s.left_at < $2 AND s.stage = ANY($3::text[])"
        " AND ($4::text[] IS NULL OR r.area = ANY($4::text[]))",
        start,
        end,
        list(STAGES),
        areas,
    )
    found: dict[str, list[float]] = {}
    for row in rows:
        found.setdefault(row["stage"], []).append(float(row["days"]))
    return found
