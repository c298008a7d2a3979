"""Events the panel itself emits about meetings, written to the outbox with the change.

A meeting is told case by case: each event names one case on the agenda (ids and codes only),
so it is keyed, ordered and erased like every other event of that case. The relay publishes it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection
from safeguard.events import contracts as ev
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.outbox import enqueue
from services.panel import records, store

SOURCE = "/services/panel"


async def tell_agenda(
    conn: Connection,
    *,
    kind: type[ev.MeetingScheduled] | type[ev.AgendaPublished],
    principal: StaffPrincipal,
    meeting_id: UUID,
    referral_ids: list[UUID],
) -> int:
    """One `kind` event per case, in the caller's transaction; how many were enqueued."""
    meeting = await records.get_meeting(conn, meeting_id)
    if meeting is None:
        return 0
    now = datetime.now(UTC)
    told = 0
    for referral_id in referral_ids:
        case = await store.case_by_id(conn, referral_id)
        if case is None:
            continue
        event = kind(
            referral_id=referral_id,
            reference=case["reference"],
            stage=case["stage"],
            area=case["area"],
            actor_role=principal.role,
            meeting_id=meeting["id"],
            panel_id=meeting["panel_id"],
            meeting_at=meeting["scheduled_for"],
        )
        envelope = event.envelope(event_id=uuid.uuid4(), source=SOURCE, time=now)
        told += int(await enqueue(conn, envelope, topic=REFERRAL_EVENTS))
    return told
