"""Replaying histories against the current workflow code: is every decision reproduced?"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from safeguard.audit.replaying import ReplayRuns, RunReplay
from workflows.referral.worker import SANDBOX
from workflows.referral.workflows import ReferralWorkflow


def replayer_for(
    data_converter: DataConverter, workflows: Sequence[type] = (ReferralWorkflow,)
) -> Replayer:
    """A replayer of the given workflow code (the current `ReferralWorkflow` by default)."""
    return Replayer(
        workflows=list(workflows), data_converter=data_converter, workflow_runner=SANDBOX
    )


def replaying(data_converter: DataConverter) -> ReplayRuns:
    """Replay runs on the current code (what the audit service and the CLI hand the casebook)."""
    replayer = replayer_for(data_converter)

    async def replay(runs: Sequence[WorkflowHistory]) -> list[RunReplay]:
        return await replay_runs(replayer, runs)

    return replay


async def replay_runs(
    replayer: Replayer,
    runs: Sequence[WorkflowHistory],
    *,
    on_each: Callable[[RunReplay], None] | None = None,
) -> list[RunReplay]:
    """Replay each run in one replaying worker; a failure is reported, never raised."""
    verdicts: list[RunReplay] = []
    async with replayer.workflow_replay_iterator(_iterate(runs)) as results:
        async for result in results:
            history = result.history
            failure = result.replay_failure
            verdict = RunReplay(
                workflow_id=history.workflow_id,
                run_id=history.run_id,
                events=len(history.events),
                deterministic=failure is None,
                failure=None if failure is None else f"{type(failure).__name__}: {failure}",
            )
            verdicts.append(verdict)
            if on_each:
                on_each(verdict)
    return verdicts


async def _iterate(runs: Sequence[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for run in runs:
        yield run
