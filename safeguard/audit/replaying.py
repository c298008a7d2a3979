"""What a replay of a run concludes, and the shape of the function that replays runs.

Replaying needs the workflow code, which the shared package must not import: the callers (the
audit service, the console script) pass `workflows.referral.replay.replaying` in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter


@dataclass(frozen=True)
class RunReplay:
    """The verdict on one run's history."""

    workflow_id: str
    run_id: str
    events: int
    deterministic: bool
    failure: str | None


# Replays each run on the current workflow code; a failure is reported, never raised.
ReplayRuns = Callable[[Sequence[WorkflowHistory]], Awaitable[list[RunReplay]]]
# One replaying worker for runs encoded with this converter.
Replaying = Callable[[DataConverter], ReplayRuns]
