"""An event Kafka delivers twice tells nobody twice: checked on the mail sent, not only on the
consumer's record of the events it has handled.

The outbox publishes at least once: a relay that dies between Kafka's acknowledgement and
marking the row published sends the row again. Here the rows are marked unpublished after they
went out, so the relay sends every event a second time, as that relay would."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from safeguard.auth.service_identity import ServiceClient
from safeguard.background import running
from safeguard.codes import Role
from safeguard.db.pool import Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.outbox import OutboxRelay, enqueue, pending_count
from safeguard.settings import Settings
from services.notifications.app import create_app
from services.notifications.sink import SmtpSink
from tests.events.factories import envelope_for, sample_event
from tests.helpers import assert_eventually
from tests.notifications.conftest import Staff
from tests.notifications.standins import Contacts
from tests.servers import serve
from tests.service_auth import service_headers

OFFICERS = "prevent-team@north.police.example"
REFERRER = "dsl@riverside.example.org"
GUARDIAN = "parent@home.example"
REFERENCE = "PRV-2026-000201"


def _event(event_type: str, case: uuid.UUID, **fields: Any) -> EventEnvelope:
    event = sample_event(
        event_type, referral_id=str(case), reference=REFERENCE, area="north", **fields
    )
    return envelope_for(event)


async def _enqueue(pool: Pool, envelopes: list[EventEnvelope]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for envelope in envelopes:
            await enqueue(conn, envelope, topic=REFERRAL_EVENTS)


async def _publish_again(pool: Pool, envelopes: list[EventEnvelope]) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE messaging.outbox SET published_at = NULL WHERE event_id = ANY($1::uuid[])",
            [envelope.id for envelope in envelopes],
        )
        await conn.execute("SELECT pg_notify('safeguard_outbox', '')")
        await assert_eventually(lambda: pending_count(conn), lambda n: n == 0)


def _mail_count(smtp: SmtpSink) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return len(smtp.received)

    return count


async def test_an_event_delivered_twice_is_sent_once(
    notifying: Settings, pool: Pool, smtp: SmtpSink, contacts: Contacts, staff: Staff
) -> None:
    case = uuid.uuid4()
    contacts.add(
        case, referrer_email=REFERRER, consent={"route_hint": "guardian", "email": GUARDIAN}
    )
    first = [
        _event("referral.submitted", case),
        _event("consent.requested", case, route="guardian"),
    ]
    # After the duplicates on the case's partition: once it is sent, they have been read.
    last = _event("case.closed", case, reason="NO_FURTHER_ACTION")
    relay = OutboxRelay(settings=notifying, pool=pool)
    async with (
        serve(create_app(notifying)) as service,
        running(relay.run(poll_seconds=0.2)),
        httpx.AsyncClient() as http,
    ):
        admin = service_headers(notifying, ServiceClient.ADMIN)
        entry = {"address": OFFICERS}
        put = await http.put(
            f"{service}/v1/directory/prevent_officers/*/email", json=entry, headers=admin
        )
        assert put.status_code == 200, put.text
        await _enqueue(pool, first)
        await assert_eventually(_mail_count(smtp), lambda n: n == 3, within=60)
        await _publish_again(pool, first)
        await _enqueue(pool, [last])
        await assert_eventually(_mail_count(smtp), lambda n: n >= 4, within=60)
        log = await http.get(f"{service}/v1/notifications", headers=staff.headers(Role.OPERATOR))

    sent = Counter((m["X-Envelope-To"], m["Subject"]) for m in smtp.received)
    assert sent == {
        (REFERRER, f"Referral {REFERENCE} received"): 1,
        (OFFICERS, f"New gateway assessment: {REFERENCE}"): 1,
        (GUARDIAN, f"Support is being offered: reference {REFERENCE}"): 1,
        (REFERRER, f"Referral {REFERENCE}: closed"): 1,
    }
    assert len({m["Message-ID"] for m in smtp.received}) == 4
    assert len(log.json()) == 4
