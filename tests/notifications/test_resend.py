"""An operator sends again what failed for good, once the cause is fixed (issue 20).

One referral fails twice: the officers have no directory entry (refused at once), and the
partner's webhook is down for longer than the retries last. Operators alone may resend; each
resend is kept with who asked, and the new attempts follow the old ones in the log, with a whole
retry budget of their own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from typer.testing import CliRunner

from safeguard.auth.service_identity import ServiceClient
from safeguard.background import running
from safeguard.cli.main import app as cli
from safeguard.codes import Role
from safeguard.db.pool import Pool
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
SECRET = "a" * 32
REFERENCE = "PRV-2026-000301"


def _log(
    http: httpx.AsyncClient, service: str, headers: dict[str, str]
) -> Callable[[], Awaitable[dict[str, dict[str, Any]]]]:
    async def by_template() -> dict[str, dict[str, Any]]:
        answer = await http.get(f"{service}/v1/notifications", headers=headers)
        return {n["template"]: n for n in answer.json()}

    return by_template


def _settled(*templates_and_states: tuple[str, str]) -> Callable[[dict[str, Any]], bool]:
    return lambda log: all(log.get(t, {}).get("status") == s for t, s in templates_and_states)


async def _resend_all_by_cli(service: str, token: str) -> tuple[int, str]:
    args = ["notifications", "resend", "--all", "--token", token, "--url", service]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    return result.exit_code, result.output


async def test_an_operator_resends_what_failed_once_the_cause_is_fixed(
    notifying: Settings, pool: Pool, smtp: SmtpSink, contacts: Contacts, staff: Staff
) -> None:
    case = uuid.uuid4()
    contacts.add(case, referrer_email="dsl@school.example", agency="riverside")
    # Down for four tries (the budget), then for the first try after the resend, then up.
    partner = PartnerSystem(secret=SECRET, fail_first=5)
    operator = staff.headers(Role.OPERATOR)
    officer = staff.headers(Role.PREVENT_OFFICER, areas=("north",))
    admin = service_headers(notifying, ServiceClient.ADMIN)
    event = sample_event(
        "referral.submitted", referral_id=str(case), reference=REFERENCE, area="north"
    )
    relay = OutboxRelay(settings=notifying, pool=pool)
    async with (
        serve(partner.app()) as partner_url,
        serve(create_app(notifying)) as service,
        running(relay.run(poll_seconds=0.2)),
        httpx.AsyncClient() as http,
    ):
        hook = {"address": f"{partner_url}/hooks/safeguard", "webhook_secret": SECRET}
        put = await http.put(
            f"{service}/v1/directory/partner_agency/riverside/webhook", json=hook, headers=admin
        )
        assert put.status_code == 200, put.text
        async with pool.acquire() as conn:
            await enqueue(conn, envelope_for(event), topic=REFERRAL_EVENTS)
        log = _log(http, service, operator)
        failed = _settled(("referral_acknowledgement", "failed"), ("assessment_task_new", "failed"))
        first = await assert_eventually(log, failed, within=60)
        ack, officers = first["referral_acknowledgement"], first["assessment_task_new"]
        assert (ack["attempts"], officers["attempts"]) == (4, 1)

        # Only operators resend, and only what failed for good.
        path = f"{service}/v1/notifications/{ack['id']}/resend"
        assert (await http.post(path, headers=officer)).status_code == 403
        unknown = await http.post(
            f"{service}/v1/notifications/{uuid.uuid4()}/resend", headers=operator
        )
        assert unknown.status_code == 404
        resent = await http.post(path, headers=operator)
        assert resent.status_code == 202 and resent.json() == {"ids": [ack["id"]]}
        await assert_eventually(log, _settled(("referral_acknowledgement", "delivered")), within=60)
        again = await http.post(path, headers=operator)
        assert again.status_code == 409 and again.json()["title"] == "Not failed"

        # The officers' entry is added; the CLI resends every failed notification.
        entry = {"address": OFFICERS}
        put = await http.put(
            f"{service}/v1/directory/prevent_officers/*/email", json=entry, headers=admin
        )
        assert put.status_code == 200, put.text
        token = operator["Authorization"].removeprefix("Bearer ")
        code, output = await _resend_all_by_cli(service, token)
        assert code == 0, output
        assert output.split()[0] == officers["id"]
        await assert_eventually(log, _settled(("assessment_task_new", "delivered")), within=60)
        detail = await http.get(f"{service}/v1/notifications/{ack['id']}", headers=operator)

    attempts = [(a["attempt"], a["outcome"]) for a in detail.json()["attempts_log"]]
    assert attempts == [
        (1, "retry"),
        (2, "retry"),
        (3, "retry"),
        (4, "failed"),
        (5, "retry"),
        (6, "delivered"),
    ]
    assert [m["X-Envelope-To"] for m in smtp.received] == [OFFICERS]
    assert len(partner.received) == 1
    resends = await pool.fetch(
        "SELECT notification_id, after_attempt, resent_by FROM notifications.resends"
        " ORDER BY resent_at"
    )
    assert [(str(r["notification_id"]), r["after_attempt"], r["resent_by"]) for r in resends] == [
        (ack["id"], 4, "operator-1"),
        (officers["id"], 1, "operator-1"),
    ]
