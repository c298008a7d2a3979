"""In development the service runs its own SMTP server and keeps the mail in a Maildir."""

from __future__ import annotations

import logging
import mailbox
import uuid
from pathlib import Path

import pytest

from safeguard.background import running
from safeguard.db.pool import Pool
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.outbox import OutboxRelay, enqueue
from safeguard.settings import Settings
from services.notifications.app import create_app
from tests.events.factories import submitted
from tests.helpers import assert_eventually, free_port
from tests.notifications.standins import Contacts
from tests.servers import serve


async def test_development_mail_lands_in_the_data_dir(
    notifying: Settings,
    pool: Pool,
    contacts: Contacts,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="services.notifications")
    local = notifying.notifications.model_copy(
        update={"smtp_local_sink": True, "smtp_port": free_port()}
    )
    settings = notifying.model_copy(update={"notifications": local, "data_dir": tmp_path})
    case = uuid.uuid4()
    contacts.add(case, referrer_email="dsl@riverside.example.org")
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, submitted(case, reference="PRV-2026-000555"), topic=REFERRAL_EVENTS)
    relay = OutboxRelay(settings=settings, pool=pool)
    async with serve(create_app(settings)), running(relay.run(poll_seconds=0.2)):

        async def subjects() -> list[str]:
            box = mailbox.Maildir(tmp_path / "mail", create=True)
            return [str(message["Subject"]) for message in box]

        found = await assert_eventually(subjects)
    assert found == ["Referral PRV-2026-000555 received"]
    # The log names the Maildir where it is (it said `mail/`, under no directory).
    assert f"keeps mail in {tmp_path / 'mail'}" in caplog.text
