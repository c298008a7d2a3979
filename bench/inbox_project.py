"""The live cases' read model as assessment's consumer would project it (bench/inbox has no
Kafka): their recorded events, from the outbox, through the consumer's own handler."""

from __future__ import annotations

import asyncio

from inbox_data import Case

from safeguard.db.pool import create_pool
from safeguard.events.envelope import EventEnvelope
from safeguard.settings import Settings
from services.assessment.events import handle_event


async def project_live(settings: Settings, live: list[Case]) -> int:
    """Wait for each live case's first event in the outbox, then apply them all; how many."""
    keys = [str(case.referral_id) for case in live]
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            for _ in range(300):
                rows = await conn.fetch(
                    "SELECT payload FROM messaging.outbox WHERE key = ANY($1::text[]) ORDER BY id",
                    keys,
                )
                if len({row["payload"]["subject"] for row in rows}) == len(keys):
                    break
                await asyncio.sleep(0.1)
            for row in rows:
                async with conn.transaction():
                    await handle_event(conn, EventEnvelope.model_validate(row["payload"]))
    finally:
        await pool.close()
    return len(rows)
