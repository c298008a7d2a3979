"""One referral's workflow start: idempotent, since the workflow id comes from the reference."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from safeguard.settings import Settings
from services.intake.store import PendingStart
from workflows.referral.models import ReferralWorkflowInput
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

RPC_TIMEOUT = timedelta(seconds=3)


class ReferenceClash(Exception):
    """The workflow id of this reference already belongs to another referral."""


class StartCall:
    """Starts referral workflows on one Temporal client."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    async def start(self, item: PendingStart) -> None:
        """Start the referral's workflow; done too if an earlier attempt of ours reached
        Temporal. `ReferenceClash` if the id is another referral's."""
        try:
            await asyncio.wait_for(
                self._client.start_workflow(
                    ReferralWorkflow.run,
                    self._input(item),
                    id=workflow_id_for(item.reference),
                    task_queue=self._settings.temporal_task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    memo={"referral_id": str(item.referral_id)},
                    rpc_timeout=RPC_TIMEOUT,
                ),
                timeout=RPC_TIMEOUT.total_seconds() + 1,
            )
        except WorkflowAlreadyStartedError:
            # An earlier attempt reached Temporal, so the case exists once, provided it is this
            # referral's: a database restored behind Temporal's back could reissue a reference.
            await self._confirm_same_referral(item)

    async def _confirm_same_referral(self, item: PendingStart) -> None:
        handle = self._client.get_workflow_handle(workflow_id_for(item.reference))
        described = await handle.describe(rpc_timeout=RPC_TIMEOUT)
        if await described.memo_value("referral_id", None) != str(item.referral_id):
            raise ReferenceClash(item.reference)

    def _input(self, item: PendingStart) -> ReferralWorkflowInput:
        return ReferralWorkflowInput(
            referral_id=item.referral_id,
            reference=item.reference,
            sector=item.sector,
            concern_type=item.concern_type,
            received_at=item.received_at,
            area=item.area,
            date_of_birth=item.date_of_birth,
            linked_referral_ids=item.linked_referral_ids,
            agency=item.agency,
            policy=self._settings.lifecycle,
        )
