"""A service run with several worker processes, as production runs it, counts every request
in `/metrics` whichever process answers the scrape."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx

from safeguard.web_telemetry import MULTIPROCESS_DIR
from tests.helpers import assert_eventually, free_port

REQUESTS = 40
COUNTED = re.compile(
    r'^safeguard_http_requests_total\{[^}]*route="/health/live"[^}]*\} (\S+)$', re.M
)


async def _counted(url: str) -> float:
    # A new connection each time, so any worker process may take it.
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{url}/metrics", headers={"Connection": "close"})).text
    return sum(float(value) for value in COUNTED.findall(text))


async def test_every_worker_process_counts_into_one_scrape(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (tmp_path / "metrics").mkdir()
    env = os.environ | {
        "SAFEGUARD_ENVIRONMENT": "test",
        "SAFEGUARD_DATA_DIR": str(tmp_path / "data"),
        MULTIPROCESS_DIR: str(tmp_path / "metrics"),
    }
    argv = ["-m", "uvicorn", "services.codec.app:create_app", "--factory", "--port", str(port)]
    server = await asyncio.create_subprocess_exec(
        sys.executable, *argv, "--workers", "2", "--log-level", "warning", env=env
    )
    try:
        async with httpx.AsyncClient(headers={"Connection": "close"}) as http:

            async def live() -> bool:
                try:
                    return (await http.get(f"{url}/health/live")).status_code == 200
                except httpx.TransportError:
                    return False

            await assert_eventually(live, within=60)
            started = await _counted(url)
            for _ in range(REQUESTS):
                assert (await http.get(f"{url}/health/live")).status_code == 200
        # Both processes wrote their own files; every scrape adds them all up.
        assert len(list((tmp_path / "metrics").glob("counter_*.db"))) == 2
        for _ in range(6):
            assert await _counted(url) == started + REQUESTS
    finally:
        server.terminate()
        await server.wait()
