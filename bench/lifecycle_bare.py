"""A bare workflow with a given number of updates and timers: the baseline for bench/lifecycle."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow


class BarePlan(BaseModel):
    """How many updates to take, then which timers to sleep through."""

    updates: int
    timer_days: list[float]


@workflow.defn
class BareWorkflow:
    """Takes `updates` updates, then sleeps each timer in turn."""

    def __init__(self) -> None:
        self._received = 0

    @workflow.run
    async def run(self, plan: BarePlan) -> None:
        """Wait for the updates, then the timers."""
        await workflow.wait_condition(lambda: self._received >= plan.updates)
        for days in plan.timer_days:
            await workflow.sleep(timedelta(days=days))

    @workflow.update
    async def step(self) -> int:
        """Count an update."""
        self._received += 1
        return self._received
