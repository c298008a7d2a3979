"""The consent request, sent for real as it was made (an email, or a letter to the print
queue), carries a link the consent pages can use."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from safeguard.settings import NotificationSettings
from services.notifications.app import create_app as notifications_app
from services.notifications.sink import SmtpSink
from tests.helpers import assert_eventually, free_port
from tests.panel.conftest import Pipeline
from tests.panel.driver import referral_form
from tests.panel.test_consent_links import use
from tests.servers import serve

GUARDIAN = "parent@home.example"
UK = ZoneInfo("Europe/London")


async def test_the_consent_request_email_carries_a_working_link(system: Pipeline) -> None:
    form = referral_form()
    form["household_members"][0]["email"] = GUARDIAN
    reference = await system.refer(form=form)
    await system.driver.wait_for_stage(reference, "CONSENT_PENDING")
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    await sink.start()
    notifying = system.settings.model_copy(
        update={
            "panel_internal_url": system.driver.url,
            "notifications": NotificationSettings(
                smtp_host=sink.host, smtp_port=sink.port, smtp_local_sink=False
            ),
        }
    )
    try:
        async with serve(notifications_app(notifying)):
            await system.driver.request_consent(reference, method="email")
            mail = await assert_eventually(
                lambda: _mail_to(sink, GUARDIAN), lambda found: found is not None, within=60
            )
    finally:
        await sink.stop()
    assert mail is not None
    body = mail.get_content()
    assert reference in mail["Subject"]
    found = re.search(r"http://127\.0\.0\.1:(\d+)/consent/([A-Za-z0-9_-]{43,})", body)
    assert found is not None, body
    assert int(found[1]) == system.settings.services.web
    assert "The link works once and expires on" in body
    token = found[2]

    seen = await use(system, token, "verify", reference)
    assert seen.status_code == 200, seen.text
    assert seen.json()["state"] == "awaiting_answer"
    expires = dt.datetime.fromisoformat(seen.json()["expires_at"]).astimezone(UK)
    assert f"expires on {expires:%d %B %Y}".replace(" 0", " ") in body
    # The token is in the mail alone: not in the notification's record nor in the panel's.
    records = await system.rows("SELECT params::text AS p FROM notifications.notifications")
    assert records and not [r for r in records if token in r["p"]]
    links = await system.rows("SELECT token_hash FROM panel.consent_links")
    assert [r["token_hash"] for r in links] == [hashlib.sha256(token.encode()).digest()]


async def _mail_to(sink: SmtpSink, address: str) -> EmailMessage | None:
    return next((m for m in sink.received if m["X-Envelope-To"] == address), None)


async def test_a_consent_request_made_by_letter_is_posted(system: Pipeline, tmp_path: Path) -> None:
    form = referral_form()
    form["household_members"][0]["email"] = GUARDIAN  # reachable by email, asked by letter
    reference = await system.refer(form=form)
    await system.driver.wait_for_stage(reference, "CONSENT_PENDING")
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    await sink.start()
    queue = tmp_path / "print-queue"
    notifying = system.settings.model_copy(
        update={
            "panel_internal_url": system.driver.url,
            "notifications": NotificationSettings(
                smtp_host=sink.host,
                smtp_port=sink.port,
                smtp_local_sink=False,
                print_queue_dir=queue,
            ),
        }
    )
    try:
        async with serve(notifications_app(notifying)):
            await system.driver.request_consent(reference, method="letter")
            letters = await assert_eventually(
                lambda: _letters(queue), lambda found: len(found) == 1, within=60
            )
    finally:
        await sink.stop()
    assert await _mail_to(sink, GUARDIAN) is None  # by post only, not by email besides
    letter = letters[0]
    assert letter["address_lines"] == ["Jo Whitfield", "1 Example Street", "Manchester", "M1 1AA"]
    assert letter["template"] == "consent_request_letter" and reference in letter["subject"]
    body = letter["body"]
    assert "Do not reply" not in body and "reply by" not in body
    found = re.search(r"http://127\.0\.0\.1:\d+/consent/([A-Za-z0-9_-]{43,})", body)
    assert found is not None, body
    seen = await use(system, found[1], "verify", reference)
    assert seen.status_code == 200, seen.text
    # The letter's address and code stay out of the notification's record.
    records = await system.rows("SELECT params::text AS p FROM notifications.notifications")
    assert not [r for r in records if found[1] in r["p"] or "Example Street" in r["p"]]


async def _letters(queue: Path) -> list[dict[str, Any]]:
    return await asyncio.to_thread(_read_queue, queue)


def _read_queue(queue: Path) -> list[dict[str, Any]]:
    files = sorted(queue.glob("*.json")) if queue.exists() else []
    return [json.loads(file.read_text()) for file in files]
