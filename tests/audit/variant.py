"""A deliberately non-deterministic `ReferralWorkflow`: it waits before opening the case.

Registered under the same name, it issues a timer the recorded histories never had, so a
replay of any of them against it must fail.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows.referral.models import ReferralWorkflowInput
from workflows.referral.workflows import ReferralWorkflow


@workflow.defn(name="ReferralWorkflow")
class ReferralWorkflowWithExtraTimer(ReferralWorkflow):
    """The current workflow with one more command at the start."""

    @workflow.run
    async def run(self, input: ReferralWorkflowInput) -> None:
        """Sleep a second, then run the case as before."""
        await workflow.sleep(timedelta(seconds=1))
        await super().run(input)
