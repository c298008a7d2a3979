"""Lifecycle events the assessment service consumes, projected into its task inbox."""

from __future__ import annotations

import uuid

from safeguard.db.pool import Connection
from safeguard.events.contracts import ReferralSubmitted, UnknownEventType, parse_event
from safeguard.events.envelope import EventEnvelope
from services.assessment import store

CONSUMER = "assessment"


async def handle_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Turn a lifecycle event into inbox changes."""
    try:
        event = parse_event(envelope)
    except UnknownEventType:
        return  # A newer producer's event this version does not act on.
    if isinstance(event, ReferralSubmitted):
        await store.insert_task(
            conn,
            # Derived from the event id, so a replay of the topic rebuilds identical rows.
            task_id=uuid.uuid5(envelope.id, "gateway_assessment"),
            referral_id=event.referral_id,
            reference=event.reference,
            kind="gateway_assessment",
            stage=event.stage,
            sector=event.sector,
            concern_type=event.concern_type,
            due_at=event.assessment_due_at,
            created_at=envelope.time,
            source_event_id=envelope.id,
        )
