"""Activities of the referral workflow: all its I/O and its calendar lookups live here."""

from __future__ import annotations

from temporalio import activity

from safeguard.db.pool import Pool
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.outbox import enqueue
from workflows.referral.calendar import add_working_days
from workflows.referral.models import DueDateInput, DueDates, RecordEventInput


class ReferralActivities:
    """Activities that share the worker's connection pool."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_event(self, input: RecordEventInput) -> None:
        """Write the event to the outbox; a retried attempt finds it there and adds nothing."""
        async with self._pool.acquire() as conn, conn.transaction():
            await enqueue(conn, input.envelope, topic=REFERRAL_EVENTS)


@activity.defn
async def assessment_due(input: DueDateInput) -> DueDates:
    """Due dates in working days. An activity, so the answer is fixed in the history even if
    the bank-holiday tables change in a later release."""
    lead = input.working_days - input.reminder_working_days
    return DueDates(
        reminder_at=add_working_days(input.start, lead, subdivision=input.subdivision),
        due_at=add_working_days(input.start, input.working_days, subdivision=input.subdivision),
    )
