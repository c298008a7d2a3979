"""The delivery log is for staff: scoped to their areas, asked by reference, every read logged."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from safeguard.codes import Role
from safeguard.db.pool import Pool
from safeguard.events.envelope import EventEnvelope
from safeguard.settings import NotificationSettings, Settings
from services.notifications.app import create_app
from services.notifications.events import handle_event
from tests.events.factories import envelope_for, sample_event
from tests.notifications.conftest import PURPOSE, Staff
from tests.servers import serve

NORTH, SOUTH = "E08000003", "E09000033"
A_REF, B_REF = "PRV-2026-000201", "PRV-2026-000202"


@dataclass
class Log:
    """The served notifications service with two cases: A in the north, B in the south."""

    http: httpx.AsyncClient
    pool: Pool
    staff: Staff
    a: uuid.UUID
    b: uuid.UUID

    async def entries(self, role: Role, areas: tuple[str, ...] = (), **params: str) -> Any:
        answer = await self.http.get(
            "/v1/notifications", params=params, headers=self.staff.headers(role, areas)
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def apply(self, envelope: EventEnvelope) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await handle_event(conn, envelope)


def _event(event_type: str, case: uuid.UUID, reference: str, area: str, **fields: Any) -> Any:
    return envelope_for(
        sample_event(event_type, referral_id=str(case), reference=reference, area=area, **fields)
    )


@pytest.fixture
async def log(settings: Settings, pool: Pool, staff: Staff) -> AsyncIterator[Log]:
    """Each case's submission planned two notifications (referrer, area officers); none sent."""
    quiet = NotificationSettings(dispatch_enabled=False, smtp_local_sink=False)
    served = staff.trusted_by(settings).model_copy(update={"notifications": quiet})
    async with (
        serve(create_app(served)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        found = Log(http=http, pool=pool, staff=staff, a=uuid.uuid4(), b=uuid.uuid4())
        await found.apply(_event("referral.submitted", found.a, A_REF, NORTH))
        await found.apply(_event("referral.submitted", found.b, B_REF, SOUTH))
        yield found


async def test_the_log_answers_staff_only(log: Log) -> None:
    entry = (await log.entries(Role.OPERATOR))[0]["id"]
    for path in ("/v1/notifications", f"/v1/notifications/{entry}"):
        anonymous = await log.http.get(path, headers=PURPOSE)
        assert anonymous.status_code == 401, path
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        for role in (Role.PANEL_MEMBER, Role.INTERVENTION_PROVIDER, Role.PARTNER_REFERRER):
            refused = await log.http.get(path, headers=log.staff.headers(role, (NORTH,)))
            assert refused.status_code == 403, (path, role)
        unstated = log.staff.headers(Role.OPERATOR)
        del unstated["X-Purpose"]
        assert (await log.http.get(path, headers=unstated)).status_code == 400, path


async def test_officers_and_chairs_see_their_areas_and_operators_every_one(log: Log) -> None:
    every = await log.entries(Role.OPERATOR)
    assert {(n["reference"], n["template"]) for n in every} == {
        (ref, template)
        for ref in (A_REF, B_REF)
        for template in ("referral_acknowledgement", "assessment_task_new")
    }
    north = await log.entries(Role.PREVENT_OFFICER, (NORTH,))
    assert {n["referral_id"] for n in north} == {str(log.a)}
    south = await log.entries(Role.CHANNEL_CHAIR, (SOUTH,))
    assert {n["referral_id"] for n in south} == {str(log.b)}
    # Asking for another area's case by its id finds nothing of it.
    assert await log.entries(Role.PREVENT_OFFICER, (NORTH,), referral_id=str(log.b)) == []
    assert await log.entries(Role.CHANNEL_CHAIR) == []  # a token without areas sees none
    b_entry = south[0]["id"]
    officer = log.staff.headers(Role.PREVENT_OFFICER, (NORTH,))
    hidden = await log.http.get(f"/v1/notifications/{b_entry}", headers=officer)
    assert hidden.status_code == 404
    # A transfer moves the case's notifications, old ones included, to its new area.
    await log.apply(
        _event(
            "case.transferred",
            log.b,
            B_REF,
            NORTH,
            from_area=SOUTH,
            to_area=NORTH,
            stage="GATEWAY_ASSESSMENT",
        )
    )
    moved = await log.http.get(f"/v1/notifications/{b_entry}", headers=officer)
    assert moved.status_code == 200, moved.text
    assert moved.json()["reference"] == B_REF
    assert await log.entries(Role.CHANNEL_CHAIR, (SOUTH,)) == []


async def test_callers_ask_by_reference(log: Log) -> None:
    mine = await log.entries(Role.PREVENT_OFFICER, (NORTH,), reference=A_REF)
    assert len(mine) == 2
    assert {n["referral_id"] for n in mine} == {str(log.a)}
    officer = log.staff.headers(Role.PREVENT_OFFICER, (NORTH,))
    for reference in (B_REF, "PRV-2026-999999"):  # another area's case reads as no case
        answer = await log.http.get(
            "/v1/notifications", params={"reference": reference}, headers=officer
        )
        assert answer.status_code == 404, reference
        assert answer.json()["title"] == "Unknown case"
    malformed = await log.http.get(
        "/v1/notifications", params={"reference": "A-1"}, headers=officer
    )
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "query.reference"


async def test_each_read_is_in_the_access_log(log: Log) -> None:
    await log.entries(Role.OPERATOR)
    entry = (await log.entries(Role.CHANNEL_CHAIR, (NORTH,), reference=A_REF))[0]["id"]
    detail = await log.http.get(
        f"/v1/notifications/{entry}", headers=log.staff.headers(Role.AUDITOR)
    )
    assert detail.status_code == 200
    async with log.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT service, subject, role, referral_id, purpose FROM audit.access_log ORDER BY id"
        )
        chained = await conn.fetchval(
            "SELECT count(*) FROM audit.log_entries WHERE action = 'notifications.read'"
        )
    assert [tuple(row) for row in rows] == [
        ("notifications", "operator-1", "operator", None, PURPOSE["X-Purpose"]),
        ("notifications", "channel_chair-1", "channel_chair", log.a, PURPOSE["X-Purpose"]),
        ("notifications", "auditor-1", "auditor", log.a, PURPOSE["X-Purpose"]),
    ]
    assert chained == 3


def test_the_openapi_documents_each_refusal() -> None:
    paths = create_app(Settings(environment="test")).openapi()["paths"]
    for path in ("/v1/notifications", "/v1/notifications/{notification_id}"):
        answers = paths[path]["get"]["responses"]
        assert {"400", "401", "403", "404", "422"} <= set(answers), path
        assert "`operator`, `auditor`" in answers["403"]["description"]
        for status in ("401", "403", "422"):
            assert "application/problem+json" in answers[status]["content"], (path, status)
