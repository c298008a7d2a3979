"""Lifecycle events the notifications service consumes, and who each one tells."""

from __future__ import annotations

import uuid

from safeguard.db.pool import Connection
from safeguard.events.contracts import ReferralSubmitted, UnknownEventType, parse_event
from safeguard.events.envelope import EventEnvelope
from services.notifications import store

CONSUMER = "notifications"


async def handle_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Record the notifications an event calls for."""
    try:
        event = parse_event(envelope)
    except UnknownEventType:
        return
    if isinstance(event, ReferralSubmitted):
        await store.record(
            conn,
            notification_id=uuid.uuid5(envelope.id, "referral_acknowledgement"),
            event_id=envelope.id,
            referral_id=event.referral_id,
            recipient_role="referrer",
            template="referral_acknowledgement",
            channel="email",
        )
