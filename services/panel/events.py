"""Lifecycle events projected into the panel's read model: cases, due dates, plan items.

Idempotent and order-safe: a redelivered event changes nothing (rows are keyed by event and
item ids), and an event older than the case's newest one never moves the case back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from safeguard import projection
from safeguard.db.pool import Connection
from safeguard.events import contracts as ev
from safeguard.events.envelope import EventEnvelope
from services.panel import records, store

CONSUMER = "panel"

# What the case waits for next, from the events that set or clear it.
_CLEAR_DUE: dict[str, Any] = {
    "due_kind": None,
    "due_at": None,
    "due_months": None,
    "escalated_at": None,
}

_NO_TRANSFER: dict[str, Any] = {"transfer_to": None, "transfer_requested_at": None}

Patch = Callable[[Any, EventEnvelope], dict[str, Any]]


async def handle_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Apply one lifecycle event to the read model."""
    try:
        event = ev.parse_event(envelope)
    except ev.UnknownEventType:
        return  # A newer producer's event this version does not act on.
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
    await projection.apply_standing(conn, event, schema="panel")
    if isinstance(event, ev.SupportPlanRevised):
        # Items are keyed by their ids, so even an old revision is safe to (re)insert.
        await store.add_plan_items(
            conn,
            referral_id=event.referral_id,
            revision=event.revision,
            agreed_at=envelope.time,
            items=[(i.item_id, str(i.intervention), i.provider_id) for i in event.items],
        )
    if isinstance(event, ev.CaseRedacted):
        await records.erase_case(conn, event.referral_id)
    patch = _PATCHES.get(type(event))
    if newest and patch is not None:
        await store.set_case(conn, event.referral_id, patch(event, envelope))


def _submitted(event: ev.ReferralSubmitted, envelope: EventEnvelope) -> dict[str, Any]:
    return {"received_at": envelope.time}


def _cleared(event: ev.DomainEvent, envelope: EventEnvelope) -> dict[str, Any]:
    return dict(_CLEAR_DUE)


def _consent_requested(event: ev.ConsentRequested, envelope: EventEnvelope) -> dict[str, Any]:
    return _due("consent_answer", event.expires_at) | {"consent_route": str(event.route)}


def _consent_recorded(event: ev.ConsentRecorded, envelope: EventEnvelope) -> dict[str, Any]:
    if event.reassessment_due_at is None:
        return dict(_CLEAR_DUE)
    return _due("consent_reassessment", event.reassessment_due_at)


def _reassessment_due(event: ev.ConsentReassessmentDue, envelope: EventEnvelope) -> dict[str, Any]:
    return {"escalated_at": envelope.time}


def _reassessment_scheduled(
    event: ev.ConsentReassessmentScheduled, envelope: EventEnvelope
) -> dict[str, Any]:
    # The panel's own date replaces the default one (and any escalation of it).
    return _due("consent_reassessment", event.reassessment_due_at)


def _decided(event: ev.PanelDecisionRecorded, envelope: EventEnvelope) -> dict[str, Any]:
    return dict(_CLEAR_DUE) | {"adopted": event.adopted}


def _revised(event: ev.SupportPlanRevised, envelope: EventEnvelope) -> dict[str, Any]:
    return {"plan_revision": event.revision}


def _review_due(event: ev.SupportReviewDue, envelope: EventEnvelope) -> dict[str, Any]:
    return _due("support_review", event.due_at)


def _escalated(event: ev.DomainEvent, envelope: EventEnvelope) -> dict[str, Any]:
    return {"escalated_at": envelope.time}


def _reviewed(event: ev.SupportReviewRecorded, envelope: EventEnvelope) -> dict[str, Any]:
    if event.next_review_at is None:
        return dict(_CLEAR_DUE)
    return _due("support_review", event.next_review_at)


def _exited(event: ev.CaseExited, envelope: EventEnvelope) -> dict[str, Any]:
    reviews = sorted(event.review_dates(), key=lambda review: review.due_at)
    first = reviews[0] if reviews else None
    return _due(
        "post_exit_review",
        first.due_at if first else None,
        months=first.months if first else None,
    ) | {
        "exited_at": event.exited_at,
        "exit_reason": event.exit_reason and str(event.exit_reason),
        "review_6_months_at": event.review_6_months_at,
        "review_12_months_at": event.review_12_months_at,
        "post_exit_reviews": [r.model_dump(mode="json") for r in reviews],
    }


def _post_exit_due(event: ev.PostExitReviewDue, envelope: EventEnvelope) -> dict[str, Any]:
    return _due("post_exit_review", event.due_at, months=event.months)


def _post_exit_recorded(
    event: ev.PostExitReviewRecorded, envelope: EventEnvelope
) -> dict[str, Any]:
    # After a review the next is due; re-opening or the last review clears it.
    if event.reopened or event.stage != "POST_EXIT_REVIEW":
        return dict(_CLEAR_DUE)
    if event.next_due_at is not None:
        return _due("post_exit_review", event.next_due_at, months=event.next_months)
    # Events from before `next_due_at`: the policy was the fixed 6 and 12 months.
    later = "review_12_months_at" if event.months < 12 else "review_6_months_at"
    return {
        "due_kind": "post_exit_review",
        "due_at": store.Column(later),
        "due_months": 12 if event.months < 12 else 6,
        "escalated_at": None,
    }


def _closed(event: ev.CaseClosed, envelope: EventEnvelope) -> dict[str, Any]:
    # A transfer still waiting lapses with the case.
    return dict(_CLEAR_DUE) | {"closure_reason": str(event.reason)} | _NO_TRANSFER


def _transfer_requested(event: ev.CaseTransferRequested, envelope: EventEnvelope) -> dict[str, Any]:
    return {"transfer_to": event.to_area, "transfer_requested_at": envelope.time}


def _transfer_ended(event: ev.DomainEvent, envelope: EventEnvelope) -> dict[str, Any]:
    # Accepted (the case's area is now the receiving one), declined or withdrawn.
    return dict(_NO_TRANSFER)


def _reopened(event: ev.CaseReopened, envelope: EventEnvelope) -> dict[str, Any]:
    return dict(_CLEAR_DUE) | {"closure_reason": None, "adopted": False}


def _due(kind: str, at: Any, *, months: int | None = None) -> dict[str, Any]:
    return {"due_kind": kind, "due_at": at, "due_months": months, "escalated_at": None}


_PATCHES: dict[type[ev.DomainEvent], Patch] = {
    ev.ReferralSubmitted: _submitted,
    ev.GatewayAssessmentRecorded: _cleared,
    ev.ReassessmentStarted: _cleared,
    ev.ConsentRequested: _consent_requested,
    ev.ConsentRecorded: _consent_recorded,
    ev.ConsentReassessmentDue: _reassessment_due,
    ev.ConsentReassessmentScheduled: _reassessment_scheduled,
    ev.ConsentReassessed: _cleared,
    ev.PanelDecisionRecorded: _decided,
    ev.SupportPlanRevised: _revised,
    ev.SupportReviewDue: _review_due,
    ev.SupportReviewOverdue: _escalated,
    ev.SupportReviewRecorded: _reviewed,
    ev.CaseExited: _exited,
    ev.PostExitReviewDue: _post_exit_due,
    ev.PostExitReviewOverdue: _escalated,
    ev.PostExitReviewRecorded: _post_exit_recorded,
    ev.CaseReopened: _reopened,
    ev.CaseClosed: _closed,
    ev.CaseTransferRequested: _transfer_requested,
    ev.CaseTransferred: _transfer_ended,
    ev.CaseTransferDeclined: _transfer_ended,
    ev.CaseTransferWithdrawn: _transfer_ended,
}
