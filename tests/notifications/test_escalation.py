"""An overdue gateway assessment is escalated to the area's supervisors, through Kafka and SMTP.

Where the directory lists no supervisors for the area, the escalation goes to its officers and
the delivery log says so (`routed_to`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
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
from tests.servers import serve
from tests.service_auth import service_headers

OFFICERS = "prevent-team@north.police.example"
SUPERVISORS = "prevent-sergeants@north.police.example"
REFERENCE = "PRV-2026-000201"
ESCALATION = f"Escalation: gateway assessment {REFERENCE} is overdue"


# Three days (and a bit) past its due date when it is escalated.
DUE = datetime.now(UTC) - timedelta(days=3, hours=2)
DUE_WORDS = DUE.strftime("%d %B %Y")


def _events(case: uuid.UUID, area: str) -> list[EventEnvelope]:
    """The reminder, then the escalation of an assessment three days past its due date."""
    fields = {"referral_id": str(case), "reference": REFERENCE, "area": area}
    return [
        envelope_for(sample_event("assessment.reminder_due", due_at=DUE, **fields)),
        envelope_for(sample_event("assessment.overdue", due_at=DUE, **fields)),
    ]


async def _escalate(
    settings: Settings, pool: Pool, staff: Staff, directory: dict[str, str], area: str
) -> list[dict[str, Any]]:
    """Fill the directory, publish a case's overdue assessment, and return its delivery log."""
    case = uuid.uuid4()
    relay = OutboxRelay(settings=settings, pool=pool)
    async with (
        serve(create_app(settings)) as service,
        running(relay.run(poll_seconds=0.2)),
        httpx.AsyncClient() as http,
    ):
        admin = service_headers(settings, ServiceClient.ADMIN)
        for path, address in directory.items():
            put = await http.put(
                f"{service}/v1/directory/{path}", json={"address": address}, headers=admin
            )
            assert put.status_code == 200, put.text
        for envelope in _events(case, area):
            async with pool.acquire() as conn, conn.transaction():
                await enqueue(conn, envelope, topic=REFERRAL_EVENTS)

        async def log() -> list[dict[str, Any]]:
            answer = await http.get(
                f"{service}/v1/notifications",
                params={"referral_id": str(case)},
                headers=staff.headers(Role.OPERATOR),
            )
            entries: list[dict[str, Any]] = answer.json()
            return entries

        return await assert_eventually(
            log, lambda ns: len(ns) == 3 and all(n["status"] == "delivered" for n in ns)
        )


async def test_an_overdue_assessment_is_escalated_to_the_areas_supervisors(
    notifying: Settings, pool: Pool, smtp: SmtpSink, staff: Staff
) -> None:
    directory = {
        "prevent_officers/north/email": OFFICERS,
        "prevent_supervisors/north/email": SUPERVISORS,
    }
    log = await _escalate(notifying, pool, staff, directory, "north")

    # The reminder and the overdue notice stay with the officers; the escalation is the
    # supervisors' alone.
    assert sorted((m["X-Envelope-To"], m["Subject"]) for m in smtp.received) == [
        (SUPERVISORS, ESCALATION),
        (OFFICERS, f"Overdue: gateway assessment {REFERENCE}"),
        (OFFICERS, f"Reminder: gateway assessment {REFERENCE} due {DUE_WORDS}"),
    ]
    escalation = next(m for m in smtp.received if m["Subject"] == ESCALATION).get_content()
    assert f"was due on {DUE_WORDS} and has not been recorded" in escalation
    assert "it was 3 days overdue" in escalation
    assert [
        (n["recipient_role"], n["recipient"], n["routed_to"])
        for n in log
        if n["template"] == "assessment_escalation"
    ] == [("prevent_supervisors", "prevent_supervisors@north", None)]


async def test_without_supervisors_the_escalation_goes_to_the_officers_and_the_log_says_so(
    notifying: Settings,
    pool: Pool,
    smtp: SmtpSink,
    staff: Staff,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    # Supervisors are listed for another area only: this case's area falls back.
    directory = {
        "prevent_officers/*/email": OFFICERS,
        "prevent_supervisors/north/email": SUPERVISORS,
    }
    log = await _escalate(notifying, pool, staff, directory, "south")

    assert sorted((m["X-Envelope-To"], m["Subject"]) for m in smtp.received) == [
        (OFFICERS, ESCALATION),
        (OFFICERS, f"Overdue: gateway assessment {REFERENCE}"),
        (OFFICERS, f"Reminder: gateway assessment {REFERENCE} due {DUE_WORDS}"),
    ]
    assert sorted((n["template"], n["recipient"], n["routed_to"]) for n in log) == [
        ("assessment_escalation", "prevent_supervisors@south", "prevent_officers@south"),
        ("assessment_overdue", "prevent_officers@south", None),
        ("assessment_reminder", "prevent_officers@south", None),
    ]
    assert "no prevent_supervisors entry for south: sending to prevent_officers" in caplog.text
    assert OFFICERS not in caplog.text


async def test_the_supervisors_entry_is_kept_with_a_service_token_and_a_misspelt_role_refused(
    notifying: Settings, staff: Staff
) -> None:
    path = "/v1/directory/prevent_supervisors/E08000003/email"
    async with serve(create_app(notifying)) as service, httpx.AsyncClient() as http:
        admin = service_headers(notifying, ServiceClient.ADMIN)
        put = await http.put(f"{service}{path}", json={"address": SUPERVISORS}, headers=admin)
        listed = await http.get(f"{service}/v1/directory", headers=admin)
        misspelt = await http.put(
            f"{service}/v1/directory/prevent_supervisor/E08000003/email",
            json={"address": SUPERVISORS},
            headers=admin,
        )
        as_staff = await http.put(
            f"{service}{path}", json={"address": SUPERVISORS}, headers=staff.headers(Role.OPERATOR)
        )
        deleted = await http.delete(f"{service}{path}", headers=admin)
        after = await http.get(f"{service}/v1/directory", headers=admin)
        spec = (await http.get(f"{service}/openapi.json")).json()

    assert put.status_code == 200, put.text
    assert (put.json()["role"], put.json()["scope"]) == ("prevent_supervisors", "E08000003")
    assert [(e["role"], e["scope"], e["address"]) for e in listed.json()] == [
        ("prevent_supervisors", "E08000003", SUPERVISORS)
    ]
    # A misspelt role would never be used: refused, not stored to be silently ignored.
    assert misspelt.status_code == 422
    assert misspelt.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in misspelt.json()["errors"]] == ["path.role"]
    assert as_staff.status_code == 401
    assert deleted.status_code == 204 and after.json() == []
    put_spec = spec["paths"]["/v1/directory/{role}/{scope}/email"]["put"]
    role = next(p for p in put_spec["parameters"] if p["name"] == "role")
    assert "prevent_supervisors" in role["schema"]["enum"]
