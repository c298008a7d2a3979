"""The panel's read model follows a case placed in an area out of triage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from safeguard.codes import UNASSIGNED_AREA, Role, Stage
from safeguard.db.pool import Pool, create_pool
from safeguard.events import contracts as ev
from safeguard.settings import Settings
from services.panel.events import handle_event

NOW = datetime.now(UTC)


async def _project(pool: Pool, event: ev.DomainEvent, at: datetime) -> None:
    envelope = event.envelope(event_id=uuid.uuid4(), source="/tests", time=at)
    async with pool.acquire() as conn, conn.transaction():
        await handle_event(conn, envelope)


async def test_a_case_placed_out_of_triage_moves_to_its_area(settings: Settings) -> None:
    pool = await create_pool(settings)
    ids = {
        "referral_id": uuid.uuid4(),
        "reference": "PRV-2026-000042",
        "stage": Stage.GATEWAY_ASSESSMENT,
    }
    try:
        submitted = ev.ReferralSubmitted(
            **ids, area=UNASSIGNED_AREA, sector="education", concern_type="other"
        )
        await _project(pool, submitted, NOW)
        placed = ev.CaseAreaSet(**ids, area="E08000003", actor_role=Role.PREVENT_OFFICER)
        await _project(pool, placed, NOW + timedelta(minutes=1))
        async with pool.acquire() as conn:
            area = await conn.fetchval(
                "SELECT area FROM panel.cases WHERE referral_id = $1", ids["referral_id"]
            )
            summary = await conn.fetchval(
                "SELECT data->>'area' FROM panel.case_events WHERE type = 'case.area_set'"
            )
    finally:
        await pool.close()
    assert (area, summary) == ("E08000003", "E08000003")
