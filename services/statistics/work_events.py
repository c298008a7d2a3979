"""Lifecycle events projected into the dashboard's facts: tasks with due dates and their
completion, the stage a case is in, and the gateway's due date and re-referrals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from safeguard.db.pool import Connection
from safeguard.events import contracts as ev
from safeguard.events.envelope import EventEnvelope
from services.statistics import work_store as store
from services.statistics.work_store import TaskKind as K

WorkProjection = Callable[[Connection, Any, EventEnvelope], Awaitable[None]]
ASSESSMENTS = (K.GATEWAY_ASSESSMENT, K.REASSESSMENT)
# The alarm label of the next support review in a case's standing (`due`).
SUPPORT_REVIEW_DUE = "support_review_due"


async def project_work(conn: Connection, event: ev.DomainEvent, envelope: EventEnvelope) -> None:
    """The stage the case is now in, the tasks the event opens or ends."""
    if not event.moves_case:
        return
    await store.enter_stage(
        conn, referral_id=event.referral_id, stage=event.stage.value, at=envelope.time
    )
    project = _PROJECTIONS.get(type(event))
    if project is not None:
        await project(conn, event, envelope)
    due = event.standing.due.get(SUPPORT_REVIEW_DUE) if event.standing else None
    if due is not None:
        # The first review after adoption is dated only in the case's standing.
        await _open(conn, event, envelope, K.SUPPORT_REVIEW, due)


async def _open(
    conn: Connection,
    event: ev.DomainEvent,
    envelope: EventEnvelope,
    kind: K,
    due: Any,
    months: int | None = None,
) -> None:
    await store.open_task(
        conn,
        referral_id=event.referral_id,
        kind=kind,
        due_at=due,
        opened_at=envelope.time,
        months=months,
    )


async def _finish(
    conn: Connection,
    event: ev.DomainEvent,
    envelope: EventEnvelope,
    *kinds: K,
    outcome: str | None = None,
    months: int | None = None,
) -> None:
    await store.finish_tasks(
        conn,
        referral_id=event.referral_id,
        kinds=kinds,
        at=envelope.time,
        outcome=outcome,
        months=months,
    )


async def _cancel(
    conn: Connection, event: ev.DomainEvent, envelope: EventEnvelope, *kinds: K
) -> None:
    await store.cancel_tasks(
        conn, referral_id=event.referral_id, kinds=kinds or None, at=envelope.time
    )


async def _submitted(conn: Connection, event: ev.ReferralSubmitted, env: EventEnvelope) -> None:
    # Its due date and re-referral flag go in with the fact row (events.py).
    if event.assessment_due_at is not None:
        await _open(conn, event, env, K.GATEWAY_ASSESSMENT, event.assessment_due_at)


async def _reassessing(conn: Connection, event: ev.ReassessmentStarted, env: EventEnvelope) -> None:
    await _cancel(conn, event, env, K.POLICE_REVIEW)  # superseded by the reassessment
    await _open(conn, event, env, K.REASSESSMENT, event.assessment_due_at)


async def _assessed(
    conn: Connection, event: ev.GatewayAssessmentRecorded, env: EventEnvelope
) -> None:
    await _finish(conn, event, env, *ASSESSMENTS)  # the first assessment's time: events.py


async def _police_review_due(
    conn: Connection, event: ev.PoliceReviewDue, env: EventEnvelope
) -> None:
    await _open(conn, event, env, K.POLICE_REVIEW, event.due_at)


async def _police_reviewed(
    conn: Connection, event: ev.PoliceReviewRecorded, env: EventEnvelope
) -> None:
    await _finish(conn, event, env, K.POLICE_REVIEW)


async def _consent_asked(conn: Connection, event: ev.ConsentRequested, env: EventEnvelope) -> None:
    await _open(conn, event, env, K.CONSENT, event.expires_at)


async def _consent_recorded(
    conn: Connection, event: ev.ConsentRecorded, env: EventEnvelope
) -> None:
    await _finish(conn, event, env, K.CONSENT, outcome=event.decision.value)
    if event.reassessment_due_at is not None:
        await _open(conn, event, env, K.CONSENT_REASSESSMENT, event.reassessment_due_at)


async def _reassessment_scheduled(
    conn: Connection, event: ev.ConsentReassessmentScheduled, env: EventEnvelope
) -> None:
    # The panel's own period replaces the default one.
    await _cancel(conn, event, env, K.CONSENT_REASSESSMENT)
    await _open(conn, event, env, K.CONSENT_REASSESSMENT, event.reassessment_due_at)


async def _consent_reassessed(
    conn: Connection, event: ev.ConsentReassessed, env: EventEnvelope
) -> None:
    await _finish(conn, event, env, K.CONSENT_REASSESSMENT, outcome=event.decision.value)


async def _support_review_due(
    conn: Connection, event: ev.SupportReviewDue, env: EventEnvelope
) -> None:
    await _open(conn, event, env, K.SUPPORT_REVIEW, event.due_at)


async def _support_reviewed(
    conn: Connection, event: ev.SupportReviewRecorded, env: EventEnvelope
) -> None:
    await _finish(conn, event, env, K.SUPPORT_REVIEW, outcome=event.decision.value)
    if event.next_review_at is not None:
        await _open(conn, event, env, K.SUPPORT_REVIEW, event.next_review_at)


async def _exited(conn: Connection, event: ev.CaseExited, env: EventEnvelope) -> None:
    for review in event.review_dates():
        await _open(conn, event, env, K.POST_EXIT_REVIEW, review.due_at, review.months)


async def _post_exit_due(conn: Connection, event: ev.PostExitReviewDue, env: EventEnvelope) -> None:
    await _open(conn, event, env, K.POST_EXIT_REVIEW, event.due_at, event.months)


async def _post_exit_reviewed(
    conn: Connection, event: ev.PostExitReviewRecorded, env: EventEnvelope
) -> None:
    outcome = "reopened" if event.reopened else "no_concerns"
    await _finish(conn, event, env, K.POST_EXIT_REVIEW, outcome=outcome, months=event.months)


async def _reopened(conn: Connection, event: ev.CaseReopened, env: EventEnvelope) -> None:
    # Back to Channel: the reviews still ahead will not be held.
    await _cancel(conn, event, env, K.POST_EXIT_REVIEW)


async def _ended(conn: Connection, event: ev.DomainEvent, env: EventEnvelope) -> None:
    await _cancel(conn, event, env)  # closed or erased: nothing open will be done


_PROJECTIONS: dict[type[ev.DomainEvent], WorkProjection] = {
    ev.ReferralSubmitted: _submitted,
    ev.ReassessmentStarted: _reassessing,
    ev.GatewayAssessmentRecorded: _assessed,
    ev.PoliceReviewDue: _police_review_due,
    ev.PoliceReviewRecorded: _police_reviewed,
    ev.ConsentRequested: _consent_asked,
    ev.ConsentRecorded: _consent_recorded,
    ev.ConsentReassessmentScheduled: _reassessment_scheduled,
    ev.ConsentReassessed: _consent_reassessed,
    ev.SupportReviewDue: _support_review_due,
    ev.SupportReviewRecorded: _support_reviewed,
    ev.CaseExited: _exited,
    ev.PostExitReviewDue: _post_exit_due,
    ev.PostExitReviewRecorded: _post_exit_reviewed,
    ev.CaseReopened: _reopened,
    ev.CaseClosed: _ended,
    ev.CaseRedacted: _ended,
}
