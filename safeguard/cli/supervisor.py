"""Runs child processes, tags their output by name, and stops them in order."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Child:
    """A process `safeguard run` starts."""

    name: str
    argv: list[str]


class Supervisor:
    """Starts children, relays their output as `[name] line`, stops them on request."""

    def __init__(self, children: list[Child], *, env: dict[str, str]) -> None:
        self._children = children
        self._env = env
        self._processes: dict[str, asyncio.subprocess.Process] = {}
        self._pumps: list[asyncio.Task[None]] = []
        self.exited = asyncio.Event()
        self.failed: str | None = None

    async def start(self) -> None:
        """Start every child."""
        width = max(len(child.name) for child in self._children)
        for child in self._children:
            process = await asyncio.create_subprocess_exec(
                *child.argv,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=self._env,
                # Own process group: Ctrl-C reaches only us, and we stop children in order.
                start_new_session=True,
            )
            self._processes[child.name] = process
            self._pumps.append(asyncio.create_task(self._pump(child.name.ljust(width), process)))

    async def _pump(self, tag: str, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None  # noqa: S101 - set by PIPE above
        async for line in process.stdout:
            sys.stdout.write(f"[{tag}] {line.decode(errors='replace')}")
            sys.stdout.flush()
        await process.wait()
        if self.failed is None:
            self.failed = tag.strip()
        self.exited.set()

    async def stop(self, *, grace: float = 15.0) -> None:
        """SIGTERM every child, then SIGKILL whatever is left after `grace` seconds."""
        for process in self._processes.values():
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        waits = [process.wait() for process in self._processes.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*waits), grace)
        except TimeoutError:
            for process in self._processes.values():
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
            await asyncio.gather(*waits)
        await asyncio.gather(*self._pumps, return_exceptions=True)
