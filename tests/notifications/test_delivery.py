"""Lifecycle events become notifications, delivered by SMTP and signed webhooks, all logged."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest

from safeguard.auth.service_identity import ServiceClient
from safeguard.background import running
from safeguard.codes import Role
from safeguard.db.pool import Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.outbox import OutboxRelay, enqueue
from safeguard.settings import Settings
from services.notifications.app import create_app
from services.notifications.sink import SmtpSink
from tests.events.factories import envelope_for, sample_event
from tests.helpers import assert_eventually
from tests.notifications.conftest import Staff
from tests.notifications.standins import Contacts, PartnerSystem
from tests.servers import serve
from tests.service_auth import service_headers

OFFICERS = "prevent-team@north.police.example"
MENTOR = "referrals@mentor.example"
REFERRER = "dsl@riverside.example.org"
GUARDIAN = "parent@home.example"
ADDRESSES = (OFFICERS, MENTOR, REFERRER, GUARDIAN, "+447700900123")


def _event(event_type: str, case: uuid.UUID, reference: str, **fields: Any) -> EventEnvelope:
    event = sample_event(
        event_type, referral_id=str(case), reference=reference, area="north", **fields
    )
    return envelope_for(event)


async def _publish(pool: Pool, envelopes: list[EventEnvelope]) -> None:
    for envelope in envelopes:
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, envelope, topic=REFERRAL_EVENTS)


async def _directory(
    http: httpx.AsyncClient, base: str, admin: dict[str, str], hooks: tuple[str, str]
) -> None:
    agency, hub = hooks
    entries = [
        ("prevent_officers/*/email", {"address": OFFICERS}),
        ("intervention_provider/mentor-co/email", {"address": MENTOR}),
        ("intervention_provider/youth-hub/webhook", {"address": hub, "webhook_secret": "h" * 32}),
        ("partner_agency/riverside/webhook", {"address": agency, "webhook_secret": "a" * 32}),
    ]
    for path, body in entries:
        answer = await http.put(f"{base}/v1/directory/{path}", json=body, headers=admin)
        assert answer.status_code == 200, answer.text
        assert "webhook_secret" not in answer.json()


async def test_every_audience_is_told_on_its_channel(
    notifying: Settings,
    pool: Pool,
    smtp: SmtpSink,
    contacts: Contacts,
    staff: Staff,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    operator = staff.headers(Role.OPERATOR)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    contacts.add(a, referrer_email=REFERRER, consent={"route_hint": "guardian", "email": GUARDIAN})
    contacts.add(b, referrer_email="other@school.example", agency="riverside")
    contacts.add(c, consent={"route_hint": "person", "phone": "+447700900123"})
    agency = PartnerSystem(secret="a" * 32, fail_first=2)
    hub = PartnerSystem(secret="h" * 32)
    items = [
        {"item_id": str(uuid.uuid4()), "intervention": "educational", "provider_id": "mentor-co"},
        {"item_id": str(uuid.uuid4()), "intervention": "vocational", "provider_id": "mentor-co"},
        {"item_id": str(uuid.uuid4()), "intervention": "online_safety", "provider_id": "youth-hub"},
    ]
    events = [
        _event("referral.submitted", a, "PRV-2026-000101"),
        _event("referral.submitted", b, "PRV-2026-000102"),
        _event("consent.requested", a, "PRV-2026-000101", route="guardian"),
        _event("consent.requested", c, "PRV-2026-000103", route="person"),
        _event("consent.requested", a, "PRV-2026-000101", route="best_interests"),
        _event("support_plan.revised", a, "PRV-2026-000101", items=items, revision=2),
        _event("assessment.overdue", a, "PRV-2026-000101"),
        _event("case.closed", a, "PRV-2026-000101", reason="NO_FURTHER_ACTION"),
    ]
    relay = OutboxRelay(settings=notifying, pool=pool)
    async with (
        serve(agency.app()) as agency_url,
        serve(hub.app()) as hub_url,
        serve(create_app(notifying)) as service,
        running(relay.run(poll_seconds=0.2)),
        httpx.AsyncClient() as http,
    ):
        hooks = (f"{agency_url}/hooks/safeguard", f"{hub_url}/hooks/safeguard")
        await _directory(http, service, service_headers(notifying, ServiceClient.ADMIN), hooks)
        await _publish(pool, events)

        async def log() -> list[dict[str, Any]]:
            answer = await http.get(f"{service}/v1/notifications", headers=operator)
            entries: list[dict[str, Any]] = answer.json()
            return entries

        final = await assert_eventually(
            log,
            lambda ns: len(ns) == 11 and all(n["status"] in ("delivered", "failed") for n in ns),
        )
        failed = (
            await http.get(
                f"{service}/v1/notifications", params={"status": "failed"}, headers=operator
            )
        ).json()
        webhook_ack = next(
            n for n in final if n["channel"] == "webhook" and n["referral_id"] == str(b)
        )
        detail = (
            await http.get(f"{service}/v1/notifications/{webhook_ack['id']}", headers=operator)
        ).json()
        for_a = (
            await http.get(
                f"{service}/v1/notifications", params={"referral_id": str(a)}, headers=operator
            )
        ).json()
        unauthorised = await http.get(f"{service}/v1/directory")
        # The directory is operators' tooling's: not the service's own client, not staff.
        notifications = service_headers(notifying, ServiceClient.NOTIFICATIONS)
        not_granted = await http.get(f"{service}/v1/directory", headers=notifications)
        as_staff = await http.get(f"{service}/v1/directory", headers=operator)

    mail = {(m["X-Envelope-To"], m["Subject"]) for m in smtp.received}
    assert mail == {
        (REFERRER, "Referral PRV-2026-000101 received"),
        (OFFICERS, "New gateway assessment: PRV-2026-000101"),
        (OFFICERS, "New gateway assessment: PRV-2026-000102"),
        (GUARDIAN, "Support is being offered: reference PRV-2026-000101"),
        (MENTOR, "Support plan items assigned: PRV-2026-000101"),
        (OFFICERS, "Overdue: gateway assessment PRV-2026-000101"),
        # No supervisors are listed: the escalation goes to the officers (test_escalation.py).
        (OFFICERS, "Escalation: gateway assessment PRV-2026-000101 is overdue"),
        (REFERRER, "Referral PRV-2026-000101: closed"),
    }
    assert len(smtp.received) == 8
    ids = {n["id"] for n in final}
    assert {m["Message-ID"].strip("<>").split("@")[0] for m in smtp.received} <= ids
    closed = next(m for m in smtp.received if m["Subject"].endswith("closed"))
    assert "NO_FURTHER_ACTION" not in closed.get_content()  # closure without its outcome
    # The consent request carries a fresh link from the panel, and only the message holds it.
    asked = next(m for m in smtp.received if m["X-Envelope-To"] == GUARDIAN).get_content()
    assert [referral for referral, _ in contacts.links] == [a]
    token = contacts.links[0][1]
    assert f"http://127.0.0.1:{notifying.services.web}/consent/{token}" in asked
    assert "works once and expires on 15 December 2026" in asked
    stored = await pool.fetchval(
        "SELECT params::text FROM notifications.notifications WHERE template = 'consent_request'"
        " AND referral_id = $1",
        a,
    )
    assert token not in stored and token not in caplog.text and token not in str(for_a)
    mentor = next(m for m in smtp.received if m["X-Envelope-To"] == MENTOR)
    assert "2 item(s): educational, vocational" in mentor.get_content()

    assert [(r.body["template"], r.signature_valid) for r in agency.received] == [
        ("referral_acknowledgement", True)
    ]
    assert agency.received[0].body["params"]["reference"] == "PRV-2026-000102"
    assert [r.body["params"]["interventions"] for r in hub.received] == ["online_safety"]
    assert [a["outcome"] for a in detail["attempts_log"]] == ["retry", "retry", "delivered"]
    assert detail["attempts"] == 3 and detail["last_error"] is None

    assert [(n["template"], n["referral_id"], n["last_error"]) for n in failed] == [
        ("consent_request", str(c), "no sms channel is configured")
    ]
    assert len(for_a) == 8
    assert unauthorised.status_code == 401
    assert not_granted.status_code == 403 and as_staff.status_code == 401
    logged = caplog.text
    assert not [address for address in ADDRESSES if address in logged]
