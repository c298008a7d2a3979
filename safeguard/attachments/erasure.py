"""Erasure at the end of retention: a case's attachments, objects and key go on `case.redacted`.

One consumer group (`attachments`) runs in every service that holds attachments, so each
redaction is handled once, by whichever of them is up.
"""

from __future__ import annotations

import logging

from safeguard.attachments.service import Attachments
from safeguard.db.pool import Connection
from safeguard.events.contracts import CaseRedacted, UnknownEventType, parse_event
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.lifespan import Subscription

CONSUMER = "attachments"
logger = logging.getLogger(__name__)


class AttachmentEraser:
    """The `case.redacted` handler; its attachments are set once the service has opened them."""

    def __init__(self) -> None:
        self.attachments: Attachments | None = None

    def subscription(self) -> Subscription:
        """The consumer to run beside the service's own."""
        return Subscription(CONSUMER, [REFERRAL_EVENTS], self.handle)

    async def handle(self, conn: Connection, envelope: EventEnvelope) -> None:
        """Erase the case's attachments when its retention ends."""
        try:
            event = parse_event(envelope)
        except UnknownEventType:
            return
        if not isinstance(event, CaseRedacted):
            return
        if self.attachments is None:
            # Redelivered once the service has its store open.
            raise RuntimeError("attachments are not open yet")
        erased = await self.attachments.erase(conn, event.referral_id)
        logger.info(
            "attachments erased", extra={"referral_id": str(event.referral_id), "objects": erased}
        )
