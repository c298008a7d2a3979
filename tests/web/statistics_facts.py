"""Fact rows put straight into the statistics read model, for the web's statistics pages (the
service's own tests cover how events make them)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from safeguard.db.pool import Pool

# (sector, concern, outcome, age group, gender, area) and how many of each, in 2024-25 Q1.
FACTS = [
    ("education", "islamist", "NO_FURTHER_ACTION", "11-15", "male", "E08000003", 12),
    ("police", "extreme_right_wing", "SIGNPOSTED", "16-17", "female", "E08000003", 7),
    ("health", "mixed_unclear_unstable", "REFERRED_TO_CHANNEL", "18-20", "male", "E08000035", 3),
]
RECEIVED = dt.datetime(2024, 5, 10, 9, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


async def put_facts(pool: Pool) -> int:
    """The rows; how many referrals they are."""
    rows = [
        (
            uuid.uuid4(),
            f"PRV-F{i}-{n}",
            sector,
            concern,
            outcome,
            json.dumps({"recent": age}),
            gender,
            area,
        )
        for i, (sector, concern, outcome, age, gender, area, count) in enumerate(FACTS)
        for n in range(count)
    ]
    async with pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO statistics.referrals (referral_id, reference, received_at, quarter,"
            " area, sector, concern_type, age_groups, gender, demographics, gateway_outcome,"
            " gateway_outcome_at, first_assessed_at, assessment_due_at)"
            " VALUES ($1, $2, $9, '2024-25-Q1', $8, $3, $4, $6::jsonb, $7, 'known', $5,"
            " $10, $10, $11)",
            [(*row, RECEIVED, RECEIVED + DAY, RECEIVED + 7 * DAY) for row in rows],
        )
    return len(rows)
