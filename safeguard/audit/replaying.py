"""What a replay of a run concludes, and the shapes of the functions that replay runs.

Replaying needs the workflow code, which the shared package must not import: the callers (the
audit service, the console script) pass `workflows.referral.replay.replaying` (a case's runs)
and `replaying_in_bulk` (a window's) in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from safeguard.settings import Settings


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
# Replays a stream of runs on the current workflow code, yielding each run's verdict once it
# is reached (in any order when several run at once); a failure is reported, never raised.
ReplayStream = Callable[[AsyncIterator[WorkflowHistory]], AsyncIterator[RunReplay]]
# Replays streams in this many processes, each building its converter from these settings.
BulkReplaying = Callable[[Settings, int], ReplayStream]
