"""Fixtures of the event backbone tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from safeguard.db.pool import Pool, create_pool
from safeguard.settings import Settings


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on this test's database."""
    opened = await create_pool(settings)
    try:
        yield opened
    finally:
        await opened.close()
