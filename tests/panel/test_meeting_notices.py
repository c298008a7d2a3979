"""Meetings tell people: scheduling and publishing an agenda emit events the panel is sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from safeguard.events.envelope import EventEnvelope
from services.notifications.events import handle_event as notify
from tests.panel.conftest import Pipeline
from tests.panel.driver import AREA

IDS_ONLY = {
    "referral_id",
    "reference",
    "stage",
    "area",
    "actor_role",
    "meeting_id",
    "panel_id",
    "meeting_at",
}
# Every event has these; only the case workflow's events fill them (the panel's are its own).
WORKFLOW_ONLY = {"sequence", "standing"}


async def _outbox(system: Pipeline, event_type: str) -> list[dict[str, Any]]:
    rows = await system.rows(
        "SELECT payload FROM messaging.outbox WHERE payload->>'type' = $1 ORDER BY id", event_type
    )
    return [row["payload"] for row in rows]


async def _notified(system: Pipeline, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """What the notifications service records for the event (its consumer's handler)."""
    envelope = EventEnvelope.model_validate(payload)
    async with system.pool.acquire() as conn, conn.transaction():
        await notify(conn, envelope)
    return await system.rows(
        "SELECT recipient, template, params FROM notifications.notifications WHERE event_id = $1",
        envelope.id,
    )


async def test_scheduling_and_publishing_a_meeting_tell_the_panel_of_each_case(
    system: Pipeline,
) -> None:
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    panel_id = await d.panel()
    when = dt.datetime(2030, 3, 4, 10, 30, tzinfo=dt.UTC)
    meeting = await d.ok(
        "POST",
        f"/v1/panels/{panel_id}/meetings",
        json={"scheduled_for": when.isoformat(), "agenda": [reference]},
    )
    assert meeting["agenda_published_at"] is None

    [scheduled] = await _outbox(system, "panel.meeting_scheduled")
    assert set(scheduled["data"]) == IDS_ONLY | WORKFLOW_ONLY
    assert [scheduled["data"][name] for name in sorted(WORKFLOW_ONLY)] == [None, None]
    assert scheduled["subject"] == str(meeting["agenda"][0]["referral_id"])
    assert scheduled["data"]["meeting_id"] == meeting["id"]
    assert scheduled["data"]["panel_id"] == panel_id
    assert scheduled["data"]["actor_role"] == "channel_chair"
    [told] = await _notified(system, scheduled)
    assert told["recipient"] == f"channel_panel@{AREA}"
    assert told["template"] == "panel_meeting_invitation"
    assert told["params"]["meeting"] == "04 March 2030 at 10:30"

    assert await _outbox(system, "panel.agenda_published") == []
    published = await d.ok("POST", f"/v1/meetings/{meeting['id']}/agenda/publish")
    assert published["agenda_published_at"] is not None
    [agenda] = await _outbox(system, "panel.agenda_published")
    assert set(agenda["data"]) == IDS_ONLY | WORKFLOW_ONLY
    assert [agenda["data"][name] for name in sorted(WORKFLOW_ONLY)] == [None, None]
    assert agenda["data"]["reference"] == reference
    [told] = await _notified(system, agenda)
    assert (told["recipient"], told["template"]) == (f"channel_panel@{AREA}", "panel_agenda")

    # The notices are not steps of the case: its stage is as the workflow left it.
    view = await d.case(reference)
    assert view is not None and view["case"]["stage"] == "CONSENT_PENDING"


async def test_an_empty_agenda_cannot_be_published_and_only_the_chair_publishes(
    system: Pipeline,
) -> None:
    d = system.driver
    panel_id = await d.panel()
    meeting = await d.ok(
        "POST",
        f"/v1/panels/{panel_id}/meetings",
        json={"scheduled_for": dt.datetime(2030, 1, 1, tzinfo=dt.UTC).isoformat()},
    )
    refused = await d.call("POST", f"/v1/meetings/{meeting['id']}/agenda/publish")
    assert refused.status_code == 422, refused.text
    member = await d.call(
        "POST", f"/v1/meetings/{meeting['id']}/agenda/publish", headers=system.staff.member()
    )
    assert member.status_code == 403
    assert await _outbox(system, "panel.meeting_scheduled") == []
    assert await _outbox(system, "panel.agenda_published") == []
