"""The notifications consumer killed mid-batch and restarted: no notification lost or doubled."""

from __future__ import annotations

import os
import signal
import uuid
from email.message import EmailMessage
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import service_tokens
from safeguard.background import running
from safeguard.db.pool import Pool
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.outbox import OutboxRelay, enqueue, pending_count
from safeguard.settings import Settings
from services.notifications.app import senders
from services.notifications.contacts import ContactsClient
from services.notifications.directory import SERVICE, put_entry
from services.notifications.dispatch import Dispatcher
from services.notifications.events import CONSUMER
from services.notifications.links import ConsentLinkClient
from services.notifications.models import DirectoryEntryWrite
from services.notifications.recipients import Resolver
from services.notifications.sink import SmtpSink
from tests.events.factories import submitted
from tests.helpers import assert_eventually
from tests.notifications.process import notifications_process
from tests.notifications.standins import Contacts

EVENTS = 400
PARTITIONS = 6


def _env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "SAFEGUARD_ENVIRONMENT": "test",
        "SAFEGUARD_DATABASE_URL": settings.database_dsn(),
        "SAFEGUARD_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_servers(),
        "SAFEGUARD_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "SAFEGUARD_KAFKA_CONSUMER_GROUP_PREFIX": settings.kafka_consumer_group_prefix,
        # This process only consumes; sending is checked separately below.
        "SAFEGUARD_NOTIFICATIONS__DISPATCH_ENABLED": "false",
        "SAFEGUARD_NOTIFICATIONS__SMTP_LOCAL_SINK": "false",
    }


async def _processed(pool: Pool) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM messaging.processed_events WHERE consumer = $1", CONSUMER
    )
    return count


async def _committed(settings: Settings) -> int:
    """The group's committed offsets, summed over the partitions."""
    topic = settings.topic(REFERRAL_EVENTS)
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_servers(),
        group_id=settings.consumer_group(CONSUMER),
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        offsets = [await reader.committed(TopicPartition(topic, p)) for p in range(PARTITIONS)]
    finally:
        await reader.stop()
    return sum(offset or 0 for offset in offsets)


async def _publish_all(settings: Settings, pool: Pool, cases: list[uuid.UUID]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for case in cases:
            await enqueue(conn, submitted(case), topic=REFERRAL_EVENTS)
    relay = OutboxRelay(settings=settings, pool=pool)
    async with running(relay.run(poll_seconds=0.2)), pool.acquire() as conn:
        await assert_eventually(lambda: pending_count(conn), lambda n: n == 0)


async def test_a_killed_consumer_loses_and_doubles_nothing(
    notifying: Settings, pool: Pool, smtp: SmtpSink, contacts: Contacts, tmp_path: Path
) -> None:
    cases = [uuid.uuid4() for _ in range(EVENTS)]
    for case in cases:
        contacts.add(case, referrer_email=f"dsl-{case.hex[:8]}@school.example")
    await _publish_all(notifying, pool, cases)

    log = tmp_path / "notifications.log"
    async with notifications_process(_env(notifying), log) as first:
        await assert_eventually(
            lambda: _processed(pool), lambda n: n >= 20, within=60, interval=0.005
        )
        first.send_signal(signal.SIGKILL)
        await first.wait()
    handled, committed = await _processed(pool), await _committed(notifying)
    assert 0 < handled < EVENTS, "the kill must land mid-stream"
    assert committed < handled, "some handled events were uncommitted, so they come again"

    async with notifications_process(_env(notifying), log):
        await assert_eventually(lambda: _processed(pool), lambda n: n == EVENTS, within=120)
        await assert_eventually(lambda: _committed(notifying), lambda n: n == EVENTS, within=60)

    rows = await pool.fetch(
        "SELECT event_id, count(*) AS n FROM notifications.notifications GROUP BY event_id"
    )
    assert len(rows) == EVENTS and {row["n"] for row in rows} == {2}

    received = await _dispatch_everything(notifying, pool, smtp)
    message_ids = {m["Message-ID"] for m in received}
    assert len(received) == len(message_ids) == 2 * EVENTS


async def _dispatch_everything(
    settings: Settings, pool: Pool, smtp: SmtpSink
) -> list[EmailMessage]:
    async with (
        service_keyring(settings, service=SERVICE) as keyring,
        httpx.AsyncClient() as http,
        service_tokens(settings, ServiceClient.NOTIFICATIONS) as tokens,
    ):
        async with pool.acquire() as conn:
            entry = DirectoryEntryWrite(address="prevent-team@north.police.example")
            await put_entry(
                conn, keyring, role="prevent_officers", scope="*", channel="email", entry=entry
            )
        dispatcher = Dispatcher(
            settings=settings.notifications,
            pool=pool,
            resolver=Resolver(
                pool=pool, contacts=ContactsClient(settings, http, tokens), keyring=keyring
            ),
            senders=senders(settings, http),
            links=ConsentLinkClient(settings, http, tokens),
        )
        async with running(dispatcher.run(poll_seconds=0.2)):
            await assert_eventually(
                lambda: pool.fetchval(
                    "SELECT count(*) FROM notifications.notifications WHERE status = 'delivered'"
                ),
                lambda n: n == 2 * EVENTS,
                within=120,
            )
    return smtp.received
