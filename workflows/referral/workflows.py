"""`ReferralWorkflow`: one durable workflow per referral, from intake to closure."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from safeguard.codes import Stage
    from safeguard.events.contracts import DomainEvent, ReferralSubmitted
    from workflows.referral.activities import ReferralActivities
    from workflows.referral.models import (
        CaseStatus,
        RecordEventInput,
        ReferralWorkflowInput,
    )

EVENT_SOURCE = "/workflows/referral"


def workflow_id_for(reference: str) -> str:
    """The workflow id of a referral: derived from its reference, so a case has one workflow."""
    return f"referral-{reference}"


@workflow.defn
class ReferralWorkflow:
    """Runs one referral through the lifecycle."""

    def __init__(self) -> None:
        self._stage = Stage.SUBMITTED
        self._reference = ""

    @workflow.run
    async def run(self, input: ReferralWorkflowInput) -> None:
        """Open the case and hand it to gateway assessment."""
        self._reference = input.reference
        self._stage = Stage.GATEWAY_ASSESSMENT
        await self._emit(
            ReferralSubmitted(
                referral_id=input.referral_id,
                reference=input.reference,
                sector=input.sector,
                concern_type=input.concern_type,
                stage=self._stage,
                area=input.area,
                linked_referral_ids=input.linked_referral_ids,
            )
        )
        # The assessment outcome arrives as an update from the assessment service.
        await workflow.wait_condition(lambda: self._stage != Stage.GATEWAY_ASSESSMENT)

    @workflow.query
    def status(self) -> CaseStatus:
        """The case's current stage."""
        return CaseStatus(reference=self._reference, stage=self._stage)

    async def _emit(self, event: DomainEvent) -> None:
        envelope = event.envelope(
            event_id=workflow.uuid4(), source=EVENT_SOURCE, time=workflow.now()
        )
        await workflow.execute_activity_method(
            ReferralActivities.record_event,
            RecordEventInput(envelope=envelope),
            start_to_close_timeout=timedelta(seconds=30),
        )
