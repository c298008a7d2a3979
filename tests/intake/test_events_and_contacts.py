"""Lifecycle events keep the partner status; redaction erases the form; contacts for notifying."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from safeguard.auth.service_identity import ServiceClient
from safeguard.codes import ClosureReason, Stage
from safeguard.events.contracts import CaseClosed, CaseRedacted, DomainEvent
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.settings import Settings
from tests.helpers import assert_eventually
from tests.intake.conftest import Intake
from tests.intake.forms import public_form, school_form
from tests.service_auth import service_headers


def _notifications(settings: Settings) -> dict[str, str]:
    return service_headers(settings, ServiceClient.NOTIFICATIONS)


async def _contacts(intake: Intake, settings: Settings, referral_id: UUID) -> httpx.Response:
    url = f"/internal/v1/referrals/{referral_id}/contacts"
    return await intake.http.get(url, headers=_notifications(settings))


async def _publish(settings: Settings, event: DomainEvent) -> None:
    envelope = event.envelope(event_id=uuid.uuid4(), source="/tests", time=datetime.now(UTC))
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_servers())
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.topic(REFERRAL_EVENTS), envelope.to_bytes(), key=envelope.subject.encode()
        )
    finally:
        await producer.stop()


async def _submit(intake: Intake, form: dict[str, Any]) -> tuple[str, UUID]:
    answer = await intake.http.post("/v1/referrals", json=form, headers=intake.agency_a)
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    async with intake.pool.acquire() as conn:
        referral_id: UUID = await conn.fetchval(
            "SELECT id FROM intake.referrals WHERE reference = $1", reference
        )
    return reference, referral_id


def _event(kind: type[DomainEvent], reference: str, referral_id: UUID, **extra: Any) -> Any:
    return kind(
        referral_id=referral_id, reference=reference, stage=Stage.CLOSED, area="E08000003", **extra
    )


async def test_closed_then_redacted(intake: Intake, settings: Settings) -> None:
    reference, referral_id = await _submit(intake, school_form())
    closed = _event(
        CaseClosed,
        reference,
        referral_id,
        reason=ClosureReason.NO_FURTHER_ACTION,
        retain_until=datetime.now(UTC) + timedelta(days=1),
    )
    await _publish(settings, closed)

    async def status() -> str:
        answer = await intake.http.get(f"/v1/referrals/{reference}", headers=intake.agency_a)
        found: str = answer.json()["status"]
        return found

    await assert_eventually(status, lambda s: s == "closed", within=60)

    await _publish(settings, _event(CaseRedacted, reference, referral_id))

    async def redacted() -> Any:
        async with intake.pool.acquire() as conn:
            return await conn.fetchrow("SELECT * FROM intake.referrals WHERE id = $1", referral_id)

    row = await assert_eventually(redacted, lambda r: r["redacted_at"] is not None, within=60)
    assert row["form"] is None and row["person_key"] is None and row["age_at_referral"] is None
    # The audit trail stays: what, when and of what kind, without whom.
    assert row["reference"] == reference and row["sector"] == "education"
    assert row["concern_type"] == "mixed_unclear_unstable" and row["received_at"]
    assert await intake.count("SELECT count(*) FROM intake.idempotency_keys") == 0
    gone = await _contacts(intake, settings, referral_id)
    assert gone.status_code == 410
    assert await status() == "closed"


async def test_contacts_of_a_child_go_to_a_guardian(intake: Intake, settings: Settings) -> None:
    _, referral_id = await _submit(intake, school_form())
    answer = await _contacts(intake, settings, referral_id)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "referral_id": str(referral_id),
        "referrer": {
            "email": "dsl@riverside.example.org",
            "phone": "0161 496 0000",
            "agency_client_id": "agency-a",
        },
        # A letter would go to the parent at the child's address.
        "consent_contact": {
            "route_hint": "guardian",
            "email": None,
            "phone": "07700 900123",
            "name": "Jo Whitfield",
            "postal_address": ["1 Example Street", "Manchester", "M1 1AA"],
        },
    }


async def test_contacts_of_an_adult_go_to_the_person(intake: Intake, settings: Settings) -> None:
    form = public_form()
    form["person"].update(email="taylor@example.org", phone="07700 900789")
    _, referral_id = await _submit(intake, form)
    answer = await _contacts(intake, settings, referral_id)
    contact = answer.json()["consent_contact"]
    assert (contact["route_hint"], contact["email"], contact["phone"]) == (
        "person",
        "taylor@example.org",
        "07700 900789",
    )
    assert (contact["name"], contact["postal_address"]) == ("Taylor Roe", None)
    assert answer.json()["referrer"]["email"] is None


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_contacts_need_the_service_token(intake: Intake, headers: dict[str, str]) -> None:
    _, referral_id = await _submit(intake, school_form())
    for auth in (headers, intake.agency_a):
        answer = await intake.http.get(
            f"/internal/v1/referrals/{referral_id}/contacts", headers=auth
        )
        assert answer.status_code == 401


async def test_contacts_are_not_in_the_partner_openapi(intake: Intake, settings: Settings) -> None:
    spec = (await intake.http.get("/openapi.json")).json()
    assert not [path for path in spec["paths"] if "internal" in path]
    missing = await intake.http.get(
        f"/internal/v1/referrals/{uuid.uuid4()}/contacts", headers=_notifications(settings)
    )
    assert missing.status_code == 404


async def test_no_personal_data_in_logs(
    intake: Intake, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, referral_id = await _submit(intake, school_form())
    await _contacts(intake, settings, referral_id)
    bad = school_form(date_of_birth="2999-01-01")
    await intake.http.post("/v1/referrals", json=bad, headers=intake.agency_a)
    logged = caplog.text
    for personal in ("Whitfield", "Sam", "2010-03-14", "riverside", "07700", "Alex Morgan"):
        assert personal not in logged
