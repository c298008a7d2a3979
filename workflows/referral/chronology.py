"""A human-readable chronology of a case: its events and its decisions, in time order.

Events (from the read models) say what happened; decisions (from the workflow's `decisions`
query) add who decided. Police-only content never enters an entry, so one chronology serves
every role that may see the case at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from safeguard.codes import EXIT_REASON_TEXT
from safeguard.events.contracts import CaseExited
from safeguard.events.envelope import EventEnvelope
from workflows.referral.state import DecisionRecord

_EVENT_TEXT: dict[str, str] = {
    "referral.submitted": "Referral received; gateway assessment due {assessment_due_at}",
    "assessment.reminder_due": "Gateway assessment due soon ({due_at})",
    "assessment.overdue": "Gateway assessment overdue (was due {due_at}); escalated",
    "assessment.recorded": "Gateway assessment recorded: {outcome}",
    "assessment.reassessment_started": "Reassessment started; due {assessment_due_at}",
    "police_review.due": "Police-led review due",
    "police_review.recorded": "Police-led review recorded",
    "consent.requested": "Consent requested of the {route}; expires {expires_at}",
    "consent.reminder_due": "Consent not yet answered; reminder sent",
    "consent.recorded": "Consent {decision}",
    "consent.reassessment_due": "Panel reassessment due after consent was not given",
    "consent.reassessment_scheduled": "Panel to reassess {days} days after consent was not given"
    " (by {reassessment_due_at})",
    "consent.reassessed": "Panel reassessed: {decision}",
    "panel.decision_recorded": "Panel decided adopted={adopted} ({basis}, {attendee_count} there)",
    "support_plan.revised": "Support plan revision {revision} agreed",
    "support_review.due": "Support review due",
    "support_review.overdue": "Support review overdue; escalated",
    "support_review.recorded": "Support review: {decision}",
    "case.exited": "Support ended ({exit_reason_text}); reviews due {reviews_due}",
    "post_exit_review.due": "{months}-month post-exit review due",
    "post_exit_review.overdue": "{months}-month post-exit review overdue; escalated",
    "post_exit_review.recorded": "{months}-month post-exit review held",
    "case.reopened": "Case re-opened after concerns",
    "case.transfer_requested": "Transfer to {to_area} requested; waiting for {to_area} to accept",
    "case.transfer_declined": "Transfer to {to_area} declined by {to_area}",
    "case.transfer_withdrawn": "Transfer to {to_area} withdrawn",
    "case.transferred": "Transferred from {from_area} to {to_area}",
    "case.area_set": "Area set to {area}",
    "case.closed": "Case closed ({reason}); kept until {retain_until}",
    "case.redacted": "Retention ended; personal data erased",
}


class ChronologyEntry(BaseModel):
    """One line of the chronology."""

    at: datetime
    kind: str
    summary: str
    stage: str | None = None
    actor_id: str | None = None
    actor_role: str | None = None


def from_event(envelope: EventEnvelope) -> ChronologyEntry:
    """An entry for a lifecycle event."""
    template = _EVENT_TEXT.get(envelope.type, envelope.type)
    return ChronologyEntry(
        at=envelope.time,
        kind="event",
        summary=template.format_map(_Blank(_with_derived(envelope))),
        stage=envelope.data.get("stage"),
        actor_role=envelope.data.get("actor_role"),
    )


def _with_derived(envelope: EventEnvelope) -> dict[str, Any]:
    """The event's data, plus an exit's review dates (as many as its policy set) and its
    reason in words."""
    if envelope.type != CaseExited.event_type:
        return envelope.data
    exited = CaseExited.model_validate(envelope.data)
    due = ", ".join(f"{r.due_at.isoformat()} ({r.months} months)" for r in exited.review_dates())
    reason = EXIT_REASON_TEXT[exited.exit_reason]
    return envelope.data | {"reviews_due": due, "exit_reason_text": reason}


def from_decision(record: DecisionRecord) -> ChronologyEntry:
    """An entry for a decision: who acted, in which role, moving the case where."""
    moved = (
        f" ({record.stage_before} → {record.stage_after})"
        if record.stage_before != record.stage_after
        else ""
    )
    return ChronologyEntry(
        at=record.at,
        kind="decision",
        summary=record.action.replace("_", " ").capitalize() + moved,
        stage=record.stage_after,
        actor_id=record.actor_id,
        actor_role=record.actor_role,
    )


def chronology(
    events: list[EventEnvelope], decisions: list[DecisionRecord]
) -> list[ChronologyEntry]:
    """Events and decisions merged in time order (a decision before the events it caused)."""
    entries = [from_decision(d) for d in decisions] + [from_event(e) for e in events]
    return sorted(entries, key=lambda entry: (entry.at, entry.kind != "decision"))


class _Blank(dict[str, Any]):
    """Format values, leaving a missing one blank rather than failing."""

    def __missing__(self, key: str) -> str:
        return "?"
