"""Stage visits from the stage each event names (one statement per event): a new stage ends the
open visit, the same stage or an older event changes nothing, and a second event at the same
instant (one step's events share its time) gives the visit the later stage."""

from __future__ import annotations

import datetime as dt
import uuid

from safeguard.db.pool import create_pool
from safeguard.settings import Settings
from services.statistics.work_store import enter_stage

T0 = dt.datetime(2024, 6, 3, 9, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


async def test_visits_follow_the_stages_events_name(settings: Settings) -> None:
    referral = uuid.uuid4()
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            for stage, at in [
                ("GATEWAY_ASSESSMENT", T0),
                ("CONSENT_PENDING", T0 + 2 * DAY),
                ("CONSENT_PENDING", T0 + 3 * DAY),  # the same stage: nothing ends
                ("GATEWAY_ASSESSMENT", T0 + DAY),  # older than the open visit: ignored
                ("PANEL_CONSIDERATION", T0 + 5 * DAY),
                ("SUPPORT_ACTIVE", T0 + 5 * DAY),  # the same step: the visit takes it
            ]:
                await enter_stage(conn, referral_id=referral, stage=stage, at=at)
            rows = await conn.fetch(
                "SELECT stage, entered_at, left_at FROM statistics.stages"
                " WHERE referral_id = $1 ORDER BY entered_at",
                referral,
            )
    finally:
        await pool.close()
    assert [tuple(r) for r in rows] == [
        ("GATEWAY_ASSESSMENT", T0, T0 + 2 * DAY),
        ("CONSENT_PENDING", T0 + 2 * DAY, T0 + 5 * DAY),
        ("SUPPORT_ACTIVE", T0 + 5 * DAY, None),
    ]
