"""Lifecycle events the notifications service consumes: each becomes notifications to send.

The handler only records what must be sent, in the consumer's transaction (so an event is
planned exactly once); the dispatcher sends them afterwards, with retries.
"""

from __future__ import annotations

import uuid

from safeguard.db.pool import Connection
from safeguard.events.contracts import UnknownEventType, parse_event
from safeguard.events.envelope import EventEnvelope
from services.notifications import cases, store
from services.notifications.routing import plan

CONSUMER = "notifications"


async def handle_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Record the notifications an event calls for and wake the dispatcher."""
    try:
        event = parse_event(envelope)
    except UnknownEventType:
        return  # A newer producer's event this version does not act on.
    await cases.track(conn, event, at=envelope.time)
    planned = plan(event, at=envelope.time)
    for item in planned:
        await store.record(
            conn,
            # Derived from the event, so a replayed event maps onto the same rows.
            notification_id=uuid.uuid5(envelope.id, f"{item.template}/{item.recipient}"),
            event_id=envelope.id,
            referral_id=event.referral_id,
            recipient_role=item.audience.value,
            recipient=item.recipient,
            template=item.template,
            params=item.params,
        )
    if planned:
        await store.wake_dispatcher(conn)
