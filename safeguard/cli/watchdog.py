"""Keeps the embedded stack's components running under `safeguard run`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from safeguard.cli.restarts import RestartPolicy, Restarts
from safeguard.stack import Stack, StackError

CHECK_EVERY = 1.0


class StackWatchdog:
    """Notices a component that died (reaping it), restarts it with backoff, and gives up past
    the policy's limit: `gave_up` is then set and `failed` says which and why."""

    def __init__(
        self,
        stack: Stack,
        *,
        report: Callable[[str], None],
        policy: RestartPolicy | None = None,
    ) -> None:
        self._stack = stack
        self._report = report
        policy = policy or RestartPolicy()
        self._restarts = {component.name: Restarts(policy) for component in stack.components}
        self.gave_up = asyncio.Event()
        self.failed: str | None = None

    async def run(self) -> None:
        """Check every second until cancelled or given up."""
        while not self.gave_up.is_set():
            await asyncio.sleep(CHECK_EVERY)
            ended = self._stack.exited()
            if ended:
                await self._restart(ended)

    async def _restart(self, ended: dict[str, str]) -> None:
        delays = []
        for name, how in ended.items():
            delay = self._restarts[name].next_delay()
            if delay is None:
                self.failed = f"{name} {how}; not restarting: {self._restarts[name].giving_up()}"
                self.gave_up.set()
                return
            self._report(f"{name} {how}; restarting it in {delay:.0f}s")
            delays.append(delay)
        await asyncio.sleep(max(delays))
        names = ", ".join(ended)
        try:
            await self._stack.up()
        except StackError as error:
            # The next check finds it still down and counts another restart.
            self._report(f"restarting {names} failed: {error}")
            return
        self._report(f"{names} restarted and healthy")
