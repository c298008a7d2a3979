"""Lifecycle events intake consumes: enough to keep the partner's minimal status, and erasure."""

from __future__ import annotations

from safeguard.db.pool import Connection
from safeguard.events.contracts import (
    CaseAreaSet,
    CaseClosed,
    CaseRedacted,
    CaseReopened,
    CaseTransferred,
    ReferralSubmitted,
    UnknownEventType,
    parse_event,
)
from safeguard.events.envelope import EventEnvelope
from services.intake import information_store, store

CONSUMER = "intake"


async def handle_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Apply a lifecycle event to intake's referral row."""
    try:
        event = parse_event(envelope)
    except UnknownEventType:
        return  # A newer producer's event this version does not act on.
    if isinstance(event, ReferralSubmitted):
        # The workflow runs even if our own record of starting it was lost.
        await store.mark_started(conn, referral_ids=[event.referral_id])
    elif isinstance(event, CaseClosed):
        await store.mark_closed(conn, referral_id=event.referral_id, at=envelope.time)
    elif isinstance(event, CaseReopened):
        await store.mark_reopened(conn, referral_id=event.referral_id)
    elif isinstance(event, CaseTransferred | CaseAreaSet):
        # Intake's notices (new information) go to the area that now holds the case.
        await information_store.set_case_area(conn, referral_id=event.referral_id, area=event.area)
    elif isinstance(event, CaseRedacted):
        await store.redact(conn, referral_id=event.referral_id, at=envelope.time)
        await information_store.erase(conn, referral_id=event.referral_id)
