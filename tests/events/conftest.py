"""Fixtures of the event backbone tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from safeguard.db.pool import Pool, create_pool
from safeguard.settings import Settings, StackPorts
from safeguard.stack import Stack
from tests.helpers import free_port


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on this test's database."""
    opened = await create_pool(settings)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def own_broker(tmp_path: Path) -> AsyncIterator[Stack]:
    """A Kafka broker of this test's own, which it may stop (the session's is left alone)."""
    ports = StackPorts(kafka=free_port(), kafka_controller=free_port())
    broker = Stack(data_dir=tmp_path / "broker", ports=ports, components=("kafka",))
    await broker.up()
    try:
        yield broker
    finally:
        await broker.down()
