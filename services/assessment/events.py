"""Lifecycle events projected into the assessment read model: cases, chronology, tasks.

Every step is idempotent and order-safe: a redelivered event changes nothing (task ids come
from event ids), and a replayed old event neither moves a case back nor closes a newer task.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from safeguard import projection
from safeguard.db.pool import Connection
from safeguard.events import contracts as ev
from safeguard.events.envelope import EventEnvelope
from services.assessment import store
from services.assessment.models import TaskKind, TaskStatus

CONSUMER = "assessment"

ASSESSMENTS = (TaskKind.GATEWAY_ASSESSMENT, TaskKind.REASSESSMENT)
# New information is dealt with by the next assessment or review the officers record.
REVIEWED_BY_DECISION = (TaskKind.NEW_INFORMATION,)

Projection = Callable[[Connection, Any, EventEnvelope, bool], Awaitable[None]]


async def handle_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Apply one lifecycle event to the read model."""
    try:
        event = ev.parse_event(envelope)
    except ev.UnknownEventType:
        return  # A newer producer's event this version does not act on.
    if isinstance(event, ev.InformationReceived):
        # A notice from intake: the case does not move, but its officers have work.
        await _new_task(
            conn, envelope, TaskKind.NEW_INFORMATION, referral=event.referral_id, due=None
        )
        return
    if not event.moves_case:
        return  # A notice about the case (a panel meeting), not a step of it.
    await store.record_event(conn, envelope)
    newest = await store.advance_case(
        conn,
        referral_id=event.referral_id,
        reference=event.reference,
        stage=event.stage,
        area=event.area,
        at=envelope.time,
    )
    await projection.apply_standing(conn, event, schema="assessment")
    project = _PROJECTIONS.get(type(event))
    if project is not None:
        await project(conn, event, envelope, newest)


async def _new_task(
    conn: Connection, envelope: EventEnvelope, kind: TaskKind, *, referral: uuid.UUID, due: Any
) -> None:
    await store.insert_task(
        conn,
        # Derived from the event id, so a replay of the topic rebuilds identical rows.
        task_id=uuid.uuid5(envelope.id, str(kind)),
        referral_id=referral,
        kind=kind,
        due_at=due,
        created_at=envelope.time,
        source_event_id=envelope.id,
    )


async def _submitted(
    conn: Connection, event: ev.ReferralSubmitted, envelope: EventEnvelope, newest: bool
) -> None:
    await store.set_case_origin(
        conn,
        referral_id=event.referral_id,
        sector=event.sector,
        concern_type=event.concern_type,
        received_at=envelope.time,
        linked=event.linked_referral_ids,
    )
    await _new_task(
        conn,
        envelope,
        TaskKind.GATEWAY_ASSESSMENT,
        referral=event.referral_id,
        due=event.assessment_due_at,
    )


async def _reassessment(
    conn: Connection, event: ev.ReassessmentStarted, envelope: EventEnvelope, newest: bool
) -> None:
    # A police-led case's pending review is superseded by the reassessment.
    await _close(conn, event, envelope, [TaskKind.POLICE_REVIEW], TaskStatus.CANCELLED)
    await _close(conn, event, envelope, REVIEWED_BY_DECISION, TaskStatus.DONE)
    await _new_task(
        conn,
        envelope,
        TaskKind.REASSESSMENT,
        referral=event.referral_id,
        due=event.assessment_due_at,
    )


async def _reminder(
    conn: Connection, event: ev.AssessmentReminderDue, envelope: EventEnvelope, newest: bool
) -> None:
    await _flag(conn, event, envelope, "reminded")


async def _overdue(
    conn: Connection, event: ev.AssessmentOverdue, envelope: EventEnvelope, newest: bool
) -> None:
    # Escalation marks the existing task (a task never appears twice in the inbox).
    await _flag(conn, event, envelope, "escalated")


async def _assessed(
    conn: Connection, event: ev.GatewayAssessmentRecorded, envelope: EventEnvelope, newest: bool
) -> None:
    await _close(conn, event, envelope, (*ASSESSMENTS, *REVIEWED_BY_DECISION), TaskStatus.DONE)
    if newest:
        await store.set_case_outcome(
            conn, referral_id=event.referral_id, outcome=event.outcome, closure_reason=None
        )


async def _review_due(
    conn: Connection, event: ev.PoliceReviewDue, envelope: EventEnvelope, newest: bool
) -> None:
    await _new_task(
        conn, envelope, TaskKind.POLICE_REVIEW, referral=event.referral_id, due=event.due_at
    )


async def _reviewed(
    conn: Connection, event: ev.PoliceReviewRecorded, envelope: EventEnvelope, newest: bool
) -> None:
    await _close(
        conn, event, envelope, [TaskKind.POLICE_REVIEW, *REVIEWED_BY_DECISION], TaskStatus.DONE
    )


async def _closed(
    conn: Connection, event: ev.CaseClosed, envelope: EventEnvelope, newest: bool
) -> None:
    await _close(conn, event, envelope, None, TaskStatus.CANCELLED)
    if newest:
        await store.set_case_outcome(
            conn, referral_id=event.referral_id, outcome=None, closure_reason=event.reason
        )
        # A transfer still waiting lapses with the case.
        await store.set_transfer(conn, referral_id=event.referral_id, to_area=None, at=None)


async def _transfer_requested(
    conn: Connection, event: ev.CaseTransferRequested, envelope: EventEnvelope, newest: bool
) -> None:
    if newest:
        await store.set_transfer(
            conn, referral_id=event.referral_id, to_area=event.to_area, at=envelope.time
        )


async def _transfer_ended(
    conn: Connection, event: ev.DomainEvent, envelope: EventEnvelope, newest: bool
) -> None:
    # Accepted (the case's area is now the receiving one), declined or withdrawn.
    if newest:
        await store.set_transfer(conn, referral_id=event.referral_id, to_area=None, at=None)


async def _reopened(
    conn: Connection, event: ev.CaseReopened, envelope: EventEnvelope, newest: bool
) -> None:
    if newest:
        await store.set_case_outcome(
            conn, referral_id=event.referral_id, outcome=None, closure_reason=None
        )


async def _redacted(
    conn: Connection, event: ev.CaseRedacted, envelope: EventEnvelope, newest: bool
) -> None:
    await _close(conn, event, envelope, None, TaskStatus.CANCELLED)


async def _close(
    conn: Connection,
    event: ev.DomainEvent,
    envelope: EventEnvelope,
    kinds: Any,
    status: TaskStatus,
) -> None:
    await store.close_tasks(
        conn, referral_id=event.referral_id, kinds=kinds, status=status, at=envelope.time
    )


async def _flag(
    conn: Connection, event: ev.DomainEvent, envelope: EventEnvelope, flag: str
) -> None:
    at: datetime = envelope.time
    await store.flag_tasks(conn, referral_id=event.referral_id, kinds=ASSESSMENTS, flag=flag, at=at)


_PROJECTIONS: dict[type[ev.DomainEvent], Projection] = {
    ev.ReferralSubmitted: _submitted,
    ev.ReassessmentStarted: _reassessment,
    ev.AssessmentReminderDue: _reminder,
    ev.AssessmentOverdue: _overdue,
    ev.GatewayAssessmentRecorded: _assessed,
    ev.PoliceReviewDue: _review_due,
    ev.PoliceReviewRecorded: _reviewed,
    ev.CaseClosed: _closed,
    ev.CaseTransferRequested: _transfer_requested,
    ev.CaseTransferred: _transfer_ended,
    ev.CaseTransferDeclined: _transfer_ended,
    ev.CaseTransferWithdrawn: _transfer_ended,
    ev.CaseReopened: _reopened,
    ev.CaseRedacted: _redacted,
}
