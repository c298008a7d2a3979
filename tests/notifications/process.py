"""The notifications service as a process of its own, as `safeguard run` starts it, to kill."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.helpers import free_port


@asynccontextmanager
async def notifications_process(
    env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run the service with `env`, its output appended to `log`; killed at the end if alive."""
    argv = [sys.executable, "-m", "uvicorn", "services.notifications.app:create_app", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", str(free_port())]
    with log.open("a") as out:
        process = await asyncio.create_subprocess_exec(*argv, env=env, stdout=out, stderr=out)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
