"""The statistics read model's SQL: one fact row per referral (statistics.referrals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from safeguard.codes import UNASSIGNED_AREA
from safeguard.db.pool import Connection

SERVICE = "statistics"

# The one outcome each referral counts under (safeguard.statistics.categories.OUTCOMES): the
# furthest it went.
OUTCOME_SQL = """CASE
    WHEN adopted_at IS NOT NULL THEN 'adopted'
    WHEN discussed_at IS NOT NULL THEN 'discussed_not_adopted'
    WHEN referred_to_channel_at IS NOT NULL THEN 'channel_not_discussed'
    WHEN gateway_outcome = 'NO_FURTHER_ACTION' THEN 'no_further_action'
    WHEN gateway_outcome = 'SIGNPOSTED' THEN 'signposted'
    WHEN gateway_outcome = 'POLICE_LED' THEN 'police_led'
    WHEN gateway_outcome = 'ESCALATED_TO_PURSUE' THEN 'pursue'
    ELSE 'awaiting' END"""

# Outcome dates a later event sets only once (the first time it happened).
FIRST_TIME = frozenset(
    {"referred_to_channel_at", "discussed_at", "adopted_at", "not_adopted_at", "exited_at"}
)


async def ensure_row(conn: Connection, *, referral_id: UUID, reference: str, area: str) -> None:
    """The referral's fact row, created by whichever of its events comes first."""
    await conn.execute(
        "INSERT INTO statistics.referrals (referral_id, reference, area) VALUES ($1, $2, $3)"
        " ON CONFLICT (referral_id) DO NOTHING",
        referral_id,
        reference,
        area,
    )


async def set_received(
    conn: Connection,
    *,
    referral_id: UUID,
    received_at: datetime,
    quarter: str,
    area: str,
    sector: str,
    concern_type: str,
    assessment_due_at: datetime | None = None,
    re_referral: bool = False,
) -> None:
    """What the referral was, as submitted: with, for the dashboard, when its gateway
    assessment is due and whether it is a re-referral (one statement: it runs per event)."""
    await conn.execute(
        "UPDATE statistics.referrals SET received_at = $2, quarter = $3, area = $4, sector = $5,"
        " concern_type = $6, assessment_due_at = $7, re_referral = $8, updated_at = now()"
        " WHERE referral_id = $1",
        referral_id,
        received_at,
        quarter,
        area,
        sector,
        concern_type,
        assessment_due_at,
        re_referral,
    )


async def place(conn: Connection, *, referral_id: UUID, area: str) -> None:
    """A referral received without an area counts in the one triage placed it in."""
    await conn.execute(
        "UPDATE statistics.referrals SET area = $2, updated_at = now()"
        " WHERE referral_id = $1 AND area = $3",
        referral_id,
        area,
        UNASSIGNED_AREA,
    )


async def set_gateway_outcome(
    conn: Connection, *, referral_id: UUID, outcome: str, at: datetime
) -> None:
    """The gateway's outcome, unless a later assessment's is already recorded; and the first
    assessment's time (a reassessment does not move it)."""
    await conn.execute(
        "UPDATE statistics.referrals SET first_assessed_at = least(first_assessed_at, $3),"
        " gateway_outcome = CASE WHEN gateway_outcome_at IS NULL OR gateway_outcome_at <= $3"
        " THEN $2 ELSE gateway_outcome END,"
        " gateway_outcome_at = greatest(gateway_outcome_at, $3), updated_at = now()"
        " WHERE referral_id = $1",
        referral_id,
        outcome,
        at,
    )


async def set_first(conn: Connection, *, referral_id: UUID, column: str, at: datetime) -> None:
    """The first time an outcome happened (`column` one of `FIRST_TIME`)."""
    if column not in FIRST_TIME:
        raise ValueError(f"not an outcome date: {column}")
    await conn.execute(
        f"UPDATE statistics.referrals SET {column} = least({column}, $2),"  # noqa: S608 - checked
        " updated_at = now() WHERE referral_id = $1",
        referral_id,
        at,
    )


async def set_closed(conn: Connection, *, referral_id: UUID, reason: str, at: datetime) -> None:
    """The case closed (the latest closure, if it was reopened and closed again)."""
    await conn.execute(
        "UPDATE statistics.referrals SET closed_at = $3, closure_reason = $2, updated_at = now()"
        " WHERE referral_id = $1 AND (closed_at IS NULL OR closed_at <= $3)",
        referral_id,
        reason,
        at,
    )


async def erase_demographics(conn: Connection, *, referral_id: UUID, at: datetime) -> None:
    """Retention ended: age group and gender go, as intake's own copy does."""
    await conn.execute(
        "UPDATE statistics.referrals SET age_groups = '{}'::jsonb, gender = NULL,"
        " demographics = 'erased', redacted_at = $2, updated_at = now() WHERE referral_id = $1",
        referral_id,
        at,
    )


async def due_for_facts(conn: Connection, *, limit: int) -> list[UUID]:
    """Referrals whose age and gender intake has not yet given, due to be asked."""
    rows = await conn.fetch(
        "SELECT referral_id FROM statistics.referrals WHERE demographics = 'pending'"
        " AND demographics_after <= now() ORDER BY demographics_after LIMIT $1",
        limit,
    )
    return [row["referral_id"] for row in rows]


@dataclass(frozen=True)
class Demographics:
    """The coarse facts of one referral: its group in each age scheme, and its gender code."""

    referral_id: UUID
    age_groups: dict[str, str]
    gender: str | None
    erased: bool


async def set_demographics(conn: Connection, facts: Sequence[Demographics]) -> None:
    """Keep intake's answers (never over an erasure the events already made)."""
    await conn.executemany(
        "UPDATE statistics.referrals SET age_groups = $2::jsonb, gender = $3,"
        " demographics = $4, updated_at = now() WHERE referral_id = $1"
        " AND demographics = 'pending'",
        [(f.referral_id, f.age_groups, f.gender, "erased" if f.erased else "known") for f in facts],
    )


async def retry_facts_later(conn: Connection, *, referral_ids: Sequence[UUID]) -> None:
    """Intake could not answer for these (or did not know them yet): ask again later, backing
    off up to an hour."""
    await conn.execute(
        "UPDATE statistics.referrals SET demographics_tries = demographics_tries + 1,"
        " demographics_after = now() + least(interval '1 hour',"
        " interval '2 seconds' * power(2, least(demographics_tries, 12)))"
        " WHERE referral_id = ANY($1::uuid[])",
        list(referral_ids),
    )


# The dimensions a release splits by, as SQL over a fact row; `$3` is the age scheme.
DIMENSION_SQL = {
    "quarter": "quarter",
    "sector": "sector",
    "concern": "concern_type",
    "age": "age_groups ->> $3::text",
    "gender": "gender",
}


async def counts(
    conn: Connection, *, start: datetime, end: datetime, areas: Sequence[str] | None, scheme: str
) -> list[asyncpg.Record]:
    """Referrals received in [start, end) (in `areas`, if given) by each dimension and outcome:
    rows of (dimension, category, outcome, n), one GROUP BY over the fact rows."""
    sets = ", ".join(f"({sql}, outcome)" for sql in DIMENSION_SQL.values())
    which = " ".join(
        f"WHEN GROUPING({sql}) = 0 THEN '{name}'" for name, sql in DIMENSION_SQL.items()
    )
    category = " ".join(f"WHEN GROUPING({sql}) = 0 THEN {sql}" for sql in DIMENSION_SQL.values())
    area_filter = "" if areas is None else " AND area = ANY($4::text[])"
    sql = (
        f"SELECT CASE {which} END AS dimension, CASE {category} END AS category,"  # noqa: S608
        " outcome, count(*) AS n FROM (SELECT *, "
        f"{OUTCOME_SQL} AS outcome FROM statistics.referrals"
        f" WHERE received_at >= $1 AND received_at < $2{area_filter}) AS facts"
        f" GROUP BY GROUPING SETS ({sets})"
    )
    args: list[object] = [start, end, scheme]
    if areas is not None:
        args.append(list(areas))
    return await conn.fetch(sql, *args)
