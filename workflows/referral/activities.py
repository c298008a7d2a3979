"""Activities of the referral workflow: all its I/O lives here."""

from __future__ import annotations

from temporalio import activity

from safeguard.db.pool import Pool
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.outbox import enqueue
from workflows.referral.models import RecordEventInput


class ReferralActivities:
    """Activities that share the worker's connection pool."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_event(self, input: RecordEventInput) -> None:
        """Write the event to the outbox; a retried attempt finds it there and adds nothing."""
        async with self._pool.acquire() as conn, conn.transaction():
            await enqueue(conn, input.envelope, topic=REFERRAL_EVENTS)
