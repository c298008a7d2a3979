"""Activities of the referral workflow: all its I/O and its calendar lookups live here."""

from __future__ import annotations

from uuid import UUID

from opentelemetry import trace
from temporalio import activity

from safeguard.audit.log.entries import Entry, append
from safeguard.calendar import add_working_days
from safeguard.db.pool import Connection, Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.kafka.tracing import event_attributes
from safeguard.outbox import enqueue
from safeguard.projection import record_sequence
from workflows.referral.models import (
    DueDateInput,
    DueDates,
    RecordEventInput,
    RecordEventsInput,
)

tracer = trace.get_tracer(__name__)


class ReferralActivities:
    """Activities that share the worker's connection pool."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_event(self, input: RecordEventInput) -> None:
        """Write the event to the outbox; a retried attempt finds it there and adds nothing."""
        # The outbox row keeps this activity's trace context, so the event's consumers join
        # the trace of the step (or alarm) that caused it.
        trace.get_current_span().set_attributes(event_attributes(input.envelope))
        async with self._pool.acquire() as conn, conn.transaction():
            if await enqueue(conn, input.envelope, topic=REFERRAL_EVENTS):
                await append(conn, _log_entry(input.envelope))
                # With the outbox row, so a read model can tell when it is behind the case.
                await record_sequence(conn, input.envelope)

    # Since v4 a step's events come in one call (`record_event` stays for cases that replay
    # the older commands, and for their activity tasks still in flight).
    @activity.defn
    async def record_events(self, input: RecordEventsInput) -> RecordEventsInput:
        """Write a step's events to the outbox in one transaction, in order; a retried
        attempt finds them there and adds nothing. Returns them: run as a local activity,
        its result is what the history keeps (its input is not)."""
        async with self._pool.acquire() as conn, conn.transaction():
            for envelope in input.envelopes:
                await _record(conn, envelope)
        return input


async def _record(conn: Connection, envelope: EventEnvelope) -> None:
    """One event into the outbox and the audit log, unless an earlier attempt put it there."""
    # A span per event, and the outbox row keeps its context: the event's consumers join the
    # trace of the step (or alarm) that caused it, under the event they consume.
    with tracer.start_as_current_span("record_event", attributes=event_attributes(envelope)):
        if await enqueue(conn, envelope, topic=REFERRAL_EVENTS):
            await append(conn, _log_entry(envelope))
            # With the outbox row, so a read model can tell when it is behind the case.
            await record_sequence(conn, envelope)


def _log_entry(envelope: EventEnvelope) -> Entry:
    """The audit log's record of a case action: ids and codes (the actor's identity is in
    the workflow history, which the decision timeline reads)."""
    return Entry(
        kind="action",
        action=envelope.type,
        actor="case-workflow",
        role=str(envelope.data.get("actor_role") or "system"),
        referral_id=UUID(envelope.subject),
        detail={
            "event_id": str(envelope.id),
            "reference": envelope.data.get("reference"),
            "stage": envelope.data.get("stage"),
        },
    )


@activity.defn
async def assessment_due(input: DueDateInput) -> DueDates:
    """Due dates in working days. An activity, so the answer is fixed in the history even if
    the bank-holiday tables change in a later release."""
    lead = input.working_days - input.reminder_working_days
    return DueDates(
        reminder_at=add_working_days(input.start, lead, subdivision=input.subdivision),
        due_at=add_working_days(input.start, input.working_days, subdivision=input.subdivision),
    )
