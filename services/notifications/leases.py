"""One dispatcher's leases: claiming in its own name, keeping them while it sends, letting go.

Also where sends that dead dispatchers left under expired leases are taken back, one log
line each (the notification and attempt, never an address).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from uuid import UUID

from safeguard.background import running
from safeguard.db.pool import Pool
from services.notifications import attempts
from services.notifications.models import Claimed

logger = logging.getLogger(__name__)

# Short, so a dead dispatcher's sends are taken back promptly; renewed four times a lease
# while a send is under way, so a slow one (SMTP allows 30 s) keeps it.
LEASE = timedelta(seconds=20)


class Leases:
    """The leases of one dispatcher process, under an id of its own (a restart is another)."""

    def __init__(self, pool: Pool, lease: timedelta = LEASE) -> None:
        self._pool = pool
        self._lease = lease
        self.holder = uuid.uuid4()

    async def take_back_interrupted(self) -> None:
        """Requeue what dispatchers that stopped mid-send left once their leases ran out."""
        async with self._pool.acquire() as conn:
            taken = await attempts.take_back_interrupted(conn)
        for interrupted in taken:
            logger.warning(
                "notification %s attempt %d was interrupted (its dispatcher stopped mid-send);"
                " sending it again",
                interrupted.notification_id,
                interrupted.attempt,
            )

    async def claim(self, limit: int) -> list[Claimed]:
        """Claim due notifications, each attempt logged before it is made."""
        async with self._pool.acquire() as conn:
            return await attempts.claim_due(
                conn, limit=limit, lease=self._lease, holder=self.holder
            )

    @asynccontextmanager
    async def kept(self, in_flight: set[UUID]) -> AsyncIterator[None]:
        """Renew the leases on `in_flight` (as it shrinks) while the block runs."""
        async with running(self._keep(in_flight)):
            yield

    async def _keep(self, in_flight: set[UUID]) -> None:
        while in_flight:
            await asyncio.sleep(self._lease.total_seconds() / 4)
            ids = list(in_flight)
            try:
                async with self._pool.acquire() as conn:
                    held = await attempts.renew(
                        conn, ids=ids, lease=self._lease, holder=self.holder
                    )
            except Exception as error:  # PostgreSQL unavailable: try again next time
                logger.warning("dispatcher could not renew its leases (%s)", type(error).__name__)
                continue
            if held < len(ids):
                logger.warning("dispatcher lost %d lease(s) while sending", len(ids) - held)

    async def still_ours(
        self, claimed: Claimed, channel: str, *, routed_to: str | None = None
    ) -> bool:
        """Log the attempt's channel (and any fallback recipient) just before sending, if the
        lease is still this one's."""
        async with self._pool.acquire() as conn:
            ours = await attempts.begin_send(
                conn, claimed=claimed, channel=channel, holder=self.holder, routed_to=routed_to
            )
        if not ours:
            logger.warning(
                "notification %s attempt %d not sent: another dispatcher took it over",
                claimed.id,
                claimed.attempts,
            )
        return ours

    async def finish(
        self,
        claimed: Claimed,
        channel: str,
        outcome: attempts.Outcome,
        *,
        error: str | None,
        retry_in: timedelta = timedelta(0),
    ) -> None:
        """Record the attempt's outcome and let the lease go."""
        async with self._pool.acquire() as conn:
            ours = await attempts.finish_attempt(
                conn,
                claimed=claimed,
                holder=self.holder,
                channel=channel,
                outcome=outcome,
                error=error,
                retry_in=retry_in,
            )
        if not ours:
            logger.warning(
                "notification %s attempt %d ended (%s) after another dispatcher took it over",
                claimed.id,
                claimed.attempts,
                outcome,
            )
