"""The archiver waits out a Temporal it cannot reach: one try per poll, not a busy loop."""

from __future__ import annotations

import asyncio
import logging

import pytest
from temporalio.client import Client

from safeguard.audit.archiver import Archiver
from safeguard.db.pool import create_pool
from safeguard.settings import Settings
from tests.helpers import free_port
from workflows.referral.actions import PERSONAL_FIELDS


async def test_a_failing_sweep_is_tried_again_at_the_next_poll(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on this port: every call the sweep makes fails.
    unreachable = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)
    pool = await create_pool(settings)
    archiver = Archiver(pool=pool, client=unreachable, settings=settings, personal=PERSONAL_FIELDS)
    caplog.set_level(logging.WARNING, logger="safeguard.audit.archiver")
    try:
        running = asyncio.create_task(archiver.run(poll_seconds=1.0))
        await asyncio.sleep(3.5)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    finally:
        await pool.close()
    paused = [r for r in caplog.records if r.getMessage().startswith("archiver paused")]
    assert 2 <= len(paused) <= 5, len(paused)  # about one a second, not one per loop turn
