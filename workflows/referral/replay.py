"""Replaying histories against the current workflow code: is every decision reproduced?"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Callable, Sequence

from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import Replayer, WorkflowReplayResult

from safeguard.audit.replaying import ReplayRuns, ReplayStream, RunReplay
from workflows.referral.worker import SANDBOX
from workflows.referral.workflows import ReferralWorkflow


def replayer_for(
    data_converter: DataConverter, workflows: Sequence[type] = (ReferralWorkflow,)
) -> Replayer:
    """A replayer of the given workflow code (the current `ReferralWorkflow` by default)."""
    return Replayer(
        workflows=list(workflows),
        data_converter=data_converter,
        workflow_runner=SANDBOX,
        runtime=_quiet_runtime(),
    )


@functools.cache
def _quiet_runtime() -> Runtime:
    """A runtime whose core logs only errors: a run the code does not reproduce is a verdict
    for the caller, not a warning on the console (the CLI's output, the service's log)."""
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


def replaying(data_converter: DataConverter) -> ReplayRuns:
    """Replay runs on the current code (what the audit service and the CLI hand the casebook)."""
    replayer = replayer_for(data_converter)

    async def replay(runs: Sequence[WorkflowHistory]) -> list[RunReplay]:
        return await replay_runs(replayer, runs)

    return replay


def replay_stream(replayer: Replayer) -> ReplayStream:
    """Replay every run of a stream through one replaying worker of `replayer`.

    One worker for the whole stream: starting one costs about as much as replaying a short
    case, which is what replaying case by case paid for every case.
    """

    async def replay(runs: AsyncIterator[WorkflowHistory]) -> AsyncIterator[RunReplay]:
        async with replayer.workflow_replay_iterator(runs) as results:
            async for result in results:
                yield _verdict(result)

    return replay


async def replay_runs(
    replayer: Replayer,
    runs: Sequence[WorkflowHistory],
    *,
    on_each: Callable[[RunReplay], None] | None = None,
) -> list[RunReplay]:
    """Replay each run in one replaying worker; a failure is reported, never raised."""
    verdicts: list[RunReplay] = []
    async for verdict in replay_stream(replayer)(_iterate(runs)):
        verdicts.append(verdict)
        if on_each:
            on_each(verdict)
    return verdicts


def _verdict(result: WorkflowReplayResult) -> RunReplay:
    history = result.history
    failure = result.replay_failure
    return RunReplay(
        workflow_id=history.workflow_id,
        run_id=history.run_id,
        events=len(history.events),
        deterministic=failure is None,
        failure=None if failure is None else f"{type(failure).__name__}: {_reason(failure)}",
    )


# The SDK's core reports a failed activation as its own debug print of the failure; the
# message inside is the reason (for a non-determinism: which command differs from history).
_CORE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')


def _reason(failure: Exception) -> str:
    text = str(failure)
    found = _CORE_MESSAGE.search(text)
    return re.sub(r"\\(.)", r"\1", found.group(1)) if found else text


async def _iterate(runs: Sequence[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for run in runs:
        yield run
