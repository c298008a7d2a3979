"""A dispatcher cut off mid-send: every attempt stays in the log, and its sends come back promptly.

The notifications service runs as its own process, as `safeguard run` starts it, sending to a
real SMTP server that holds each message's reply; it is killed while every send waits on it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import service_tokens
from safeguard.background import running
from safeguard.db.pool import Pool
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.settings import NotificationSettings, Settings
from services.notifications import store
from services.notifications.app import senders
from services.notifications.contacts import ContactsClient
from services.notifications.directory import SERVICE, put_entry
from services.notifications.dispatch import Dispatcher
from services.notifications.events import handle_event
from services.notifications.leases import LEASE
from services.notifications.links import ConsentLinkClient
from services.notifications.models import DirectoryEntryWrite
from services.notifications.recipients import Resolver
from services.notifications.sink import SmtpSink
from tests.events.factories import submitted
from tests.helpers import assert_eventually, free_port
from tests.notifications.process import notifications_process
from tests.notifications.stalling_smtp import stalling_smtp
from tests.notifications.standins import Contacts

CASES = 3
SENDS = 2 * CASES  # each referral: the referrer's acknowledgement and the officers' task
OFFICERS = "prevent-team@north.police.example"
# A dead dispatcher's sends are taken back once its lease runs out; the rest is the restarted
# service's start-up and a loaded machine's slack.
RECOVERY_BOUND = LEASE.total_seconds() + 10


def _env(settings: Settings, smtp_port: int) -> dict[str, str]:
    return os.environ | {
        "SAFEGUARD_ENVIRONMENT": "test",
        "SAFEGUARD_DATA_DIR": str(settings.data_dir),
        "SAFEGUARD_DATABASE_URL": settings.database_dsn(),
        "SAFEGUARD_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_servers(),
        "SAFEGUARD_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "SAFEGUARD_KAFKA_CONSUMER_GROUP_PREFIX": settings.kafka_consumer_group_prefix,
        "SAFEGUARD_INTAKE_INTERNAL_URL": str(settings.intake_internal_url),
        "SAFEGUARD_PANEL_INTERNAL_URL": str(settings.panel_internal_url),
        "SAFEGUARD_NOTIFICATIONS__SMTP_HOST": "127.0.0.1",
        "SAFEGUARD_NOTIFICATIONS__SMTP_PORT": str(smtp_port),
        "SAFEGUARD_NOTIFICATIONS__SMTP_LOCAL_SINK": "false",
    }


async def _plan(settings: Settings, pool: Pool, contacts: Contacts, cases: int) -> None:
    """Referrals submitted and planned (as the consumer plans them), each with two sends."""
    async with service_keyring(settings, service=SERVICE) as keyring, pool.acquire() as conn:
        entry = DirectoryEntryWrite(address=OFFICERS)
        await put_entry(
            conn, keyring, role="prevent_officers", scope="*", channel="email", entry=entry
        )
    for _ in range(cases):
        case = uuid.uuid4()
        contacts.add(case, referrer_email=f"dsl-{case.hex[:8]}@school.example")
        async with pool.acquire() as conn, conn.transaction():
            await handle_event(conn, submitted(case))


async def _attempts(pool: Pool) -> list[dict[str, Any]]:
    """Each notification with its attempt log, outcomes and channels in attempt order."""
    rows = await pool.fetch(
        "SELECT n.id, n.status, n.attempts,"
        " array_agg(a.outcome ORDER BY a.attempt) AS outcomes,"
        " array_agg(a.channel ORDER BY a.attempt) AS channels,"
        " array_agg(a.attempt ORDER BY a.attempt) AS numbers,"
        " bool_and(a.started_at IS NOT NULL) AS started"
        " FROM notifications.notifications n"
        " LEFT JOIN notifications.delivery_attempts a ON a.notification_id = n.id"
        " GROUP BY n.id ORDER BY n.id"
    )
    return [dict(row) for row in rows]


async def _count(held: list[str]) -> int:
    return len(held)


async def _delivered(pool: Pool) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM notifications.notifications WHERE status = 'delivered'"
    )
    return count


async def test_a_crash_mid_send_leaves_the_attempt_logged_and_is_recovered_promptly(
    notifying: Settings, pool: Pool, smtp: SmtpSink, contacts: Contacts, tmp_path: Path
) -> None:
    await _plan(notifying, pool, contacts, CASES)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    async with stalling_smtp("127.0.0.1", free_port()) as stalled:
        async with notifications_process(_env(notifying, stalled.port), first_log) as first:
            await assert_eventually(
                lambda: _count(stalled.arrived), lambda n: n == SENDS, within=60
            )
            mid_send = await _attempts(pool)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            killed_at = time.monotonic()
    # Every attempt was logged before its message went out: number, channel, start, no outcome.
    assert [(n["status"], n["attempts"], n["numbers"], n["outcomes"]) for n in mid_send] == [
        ("sending", 1, [1], [None])
    ] * SENDS
    assert all(n["channels"] == ["email"] and n["started"] for n in mid_send)

    async with notifications_process(_env(notifying, smtp.port), second_log):
        await assert_eventually(lambda: _delivered(pool), lambda n: n == SENDS, within=90)
        recovered_in = time.monotonic() - killed_at
    assert recovered_in < RECOVERY_BOUND, f"taken back {recovered_in:.1f}s after the crash"

    after = await _attempts(pool)
    assert [(n["attempts"], n["numbers"], n["outcomes"]) for n in after] == [
        (2, [1, 2], ["interrupted", "delivered"])
    ] * SENDS
    # The same messages went out again, each once, with the Message-IDs of the cut-off sends.
    resent = [str(message["Message-ID"]) for message in smtp.received]
    assert sorted(resent) == sorted(stalled.arrived) and len(set(resent)) == SENDS

    # One line per recovered delivery, naming the notification and its attempt, no address.
    logged = second_log.read_text()
    for notification in after:
        line = f"notification {notification['id']} attempt 1 was interrupted"
        assert logged.count(line) == 1, line
    for text in (logged, first_log.read_text()):
        assert "@" not in text.replace("@safeguard.notifications", "")

    async with pool.acquire() as conn:
        detail = await store.get_notification(conn, notification_id=after[0]["id"], areas=None)
    assert detail is not None
    first_attempt = detail.attempts_log[0]
    assert first_attempt.outcome == "interrupted" and first_attempt.at is not None
    assert first_attempt.started_at <= first_attempt.at


@asynccontextmanager
async def _dispatching(settings: Settings, pool: Pool, lease: timedelta) -> AsyncIterator[None]:
    """A dispatcher of this process running with `settings` while the block runs."""
    async with (
        service_keyring(settings, service=SERVICE) as keyring,
        httpx.AsyncClient() as http,
        service_tokens(settings, ServiceClient.NOTIFICATIONS) as tokens,
    ):
        dispatcher = Dispatcher(
            settings=settings.notifications,
            pool=pool,
            resolver=Resolver(
                pool=pool, contacts=ContactsClient(settings, http, tokens), keyring=keyring
            ),
            senders=senders(settings, http),
            links=ConsentLinkClient(settings, http, tokens),
            lease=lease,
        )
        async with running(dispatcher.run(poll_seconds=0.1)):
            yield


def _sending_to(settings: Settings, port: int) -> Settings:
    config = settings.notifications.model_dump() | {"smtp_port": port}
    return settings.model_copy(update={"notifications": NotificationSettings(**config)})


async def test_a_live_dispatchers_slow_send_is_never_taken_over(
    notifying: Settings, pool: Pool, smtp: SmtpSink, contacts: Contacts
) -> None:
    lease = timedelta(seconds=2)  # short, so the slow sends outlast it several times over
    await _plan(notifying, pool, contacts, 1)
    async with (
        stalling_smtp("127.0.0.1", free_port()) as stalled,
        _dispatching(_sending_to(notifying, stalled.port), pool, lease),
    ):
        await assert_eventually(lambda: _count(stalled.arrived), lambda n: n == 2)
        async with _dispatching(notifying, pool, lease):
            await asyncio.sleep(3 * lease.total_seconds())
            stalled.release()
            await assert_eventually(lambda: _delivered(pool), lambda n: n == 2)

    assert smtp.received == []  # the other dispatcher sent nothing
    after = await _attempts(pool)
    assert [(n["attempts"], n["outcomes"]) for n in after] == [(1, ["delivered"])] * 2
