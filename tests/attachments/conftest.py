"""Attachments tests: each test's settings point at the session's clamd and its own store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from safeguard.attachments.settings import AttachmentSettings
from safeguard.db.pool import Pool, create_pool
from safeguard.settings import Settings
from safeguard.stack import Stack
from services.intake.app import create_app
from services.intake.starter import StartTiming
from tests.intake.clients import register_client
from tests.intake.conftest import Intake
from tests.servers import serve

# Small, so the oversized test sends little; the benchmark uses the default (25 MiB).
TEST_MAX_BYTES = 1024 * 1024


@pytest.fixture
def objects_dir(tmp_path: Path) -> Path:
    """Where this test's sealed objects are kept."""
    return tmp_path / "objects"


@pytest.fixture
def settings(settings: Settings, clamd: Stack, objects_dir: Path) -> Settings:
    """The test's settings with the session's clamd and a store of its own."""
    attachments = AttachmentSettings(
        clamd_port=clamd.clamd_port(), local_dir=objects_dir, max_bytes=TEST_MAX_BYTES
    )
    return settings.model_copy(update={"attachments": attachments})


def stored_objects(objects_dir: Path) -> list[Path]:
    """Every object in the store (partial copies included)."""
    return sorted(p for p in objects_dir.rglob("*") if p.is_file()) if objects_dir.exists() else []


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on this test's database."""
    pool = await create_pool(settings)
    yield pool
    await pool.close()


@pytest.fixture
async def intake(settings: Settings, temporal_client: Client, pool: Pool) -> AsyncIterator[Intake]:
    """The intake service, with partner agency A registered (and B by the tests that need it)."""
    app = create_app(settings, temporal=temporal_client, timing=StartTiming(poll_seconds=0.2))
    agency_a = await register_client(pool, "agency-a")
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        yield Intake(url=url, http=http, pool=pool, agency_a=agency_a)
