"""Fixtures of the notifications tests: a real SMTP server and the HTTP stand-ins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from safeguard.db.pool import Pool, create_pool
from safeguard.settings import NotificationSettings, Settings
from services.notifications.sink import SmtpSink
from tests.helpers import free_port
from tests.notifications.standins import TOKEN, Contacts
from tests.servers import serve


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on this test's database."""
    opened = await create_pool(settings)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on loopback, keeping what it receives."""
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


@pytest.fixture
def contacts() -> Contacts:
    """The referrals' contacts the intake stand-in serves."""
    return Contacts()


@pytest.fixture
async def notifying(
    settings: Settings, smtp: SmtpSink, contacts: Contacts
) -> AsyncIterator[Settings]:
    """Settings sending mail to `smtp` and asking the contacts stand-in, retrying quickly."""
    async with serve(contacts.app()) as intake:
        yield settings.model_copy(
            update={
                "intake_internal_url": intake,
                "panel_internal_url": intake,
                "internal_api_token": SecretStr(TOKEN),
                "notifications": NotificationSettings(
                    smtp_host=smtp.host,
                    smtp_port=smtp.port,
                    smtp_local_sink=False,
                    retry_base_seconds=0.1,
                    max_attempts=4,
                ),
            }
        )
