"""The panel's own steps show in the auditor's timeline, beside the decisions, in time order.

Meetings, agendas, attendance, seats on the panel, information requests and their replies,
vulnerability assessments and providers' sessions never reach the workflow: the panel logs
each in the audit log with its actor, once per case it concerns, ids and codes only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.audit.steps import (
    Entry,
    actions_in_order,
    assert_in_time_order,
    audit_service,
    only,
    timeline_with,
)
from tests.panel.conftest import Pipeline
from tests.panel.driver import CHAIR, all_factors

STEPS = (
    "panel.meeting_created",
    "panel.attendance_recorded",
    "panel.agenda_published",
    "panel.member_seated",
    "panel.information_requested",
    "panel.information_replied",
    "panel.vulnerability_assessed",
    "panel.agenda_item_added",
    "panel.provider_contact_recorded",
)
DECIDED = "record_panel_decision"
# Free text the steps carried: the panel's record keeps it, the audit log must not.
FREE_TEXT = ("Teaches the child", "Attendance and behaviour", "82%", "Discussed at panel", "Calm")


@pytest.fixture
async def audit_url(system: Pipeline) -> AsyncIterator[str]:
    """The audit service beside the panel, on the same database and Temporal."""
    async with audit_service(system.settings, system.temporal) as url:
        yield url


async def _meets(system: Pipeline, reference: str) -> dict[str, str]:
    """The panel meets on the case: agenda, attendance, a new seat, information, assessment."""
    d = system.driver
    panel_id = await d.panel()
    meeting_id = await d.meeting(
        reference,
        conflicts=[
            {"attendee_id": "school-9", "reference": reference, "description": "Teaches the child."}
        ],
    )
    await d.ok("POST", f"/v1/meetings/{meeting_id}/agenda/publish")
    await d.ok("PUT", f"/v1/panels/{panel_id}/members/youth-7", json={"agency": "youth_justice"})
    request = await d.ok(
        "POST",
        f"/v1/cases/{reference}/information-requests",
        json={"agency": "education", "question": "Attendance and behaviour this term?"},
    )
    await d.ok(
        "POST",
        f"/v1/information-requests/{request['id']}/reply",
        headers=system.staff.member("school-9"),
        json={"reply": "Attendance 82%; two incidents."},
    )
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/vulnerability-assessments",
        json={"meeting_id": meeting_id, "factors": all_factors()},
    )
    return {"panel": panel_id, "meeting": meeting_id, "request": request["id"]}


async def _supported(system: Pipeline, reference: str, meeting_id: str) -> str:
    """Consent, adoption, the next meeting's agenda and the mentor's first session."""
    d = system.driver
    await d.request_consent(reference)
    await d.give_consent(reference)
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    await d.adopt(reference, meeting_id, "mentor-a")
    await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    # The next month's meeting is set up empty, then the case put on its agenda.
    review = await d.ok(
        "POST",
        f"/v1/panels/{await d.panel()}/meetings",
        json={"scheduled_for": (dt.datetime.now(dt.UTC) + dt.timedelta(days=28)).isoformat()},
    )
    await d.ok("POST", f"/v1/meetings/{review['id']}/agenda", json={"reference": reference})
    mentor = system.staff.provider("mentor-a")
    items = await d.ok("GET", "/v1/provider/items", headers=mentor)
    await d.ok(
        "POST",
        f"/v1/provider/items/{items[0]['item_id']}/contacts",
        headers=mentor,
        json={"held_on": "2026-12-08", "kind": "session", "attended": True, "notes": "Calm."},
    )
    review_id: str = review["id"]
    return review_id


def _by(entry: Entry) -> tuple[Any, ...]:
    return entry["actor_id"], entry["actor_role"], entry["source"]


async def test_the_panels_steps_are_in_the_timeline(system: Pipeline, audit_url: str) -> None:
    reference = await system.refer()
    await system.driver.wait_for_stage(reference, "CONSENT_PENDING")
    ids = await _meets(system, reference)
    review_id = await _supported(system, reference, ids["meeting"])
    auditor = system.staff.auditor()
    entries = await timeline_with(system.http, audit_url, reference, auditor, *STEPS, DECIDED)

    chair = (CHAIR, "channel_chair", "audit_log")
    created = only(entries, "panel.meeting_created")
    assert _by(created) == chair
    assert (created["detail"]["meeting_id"], created["detail"]["panel_id"]) == (
        ids["meeting"],
        ids["panel"],
    )
    # The panel predates the case: the case's entry names who sat on it then.
    assert {m["subject"] for m in created["detail"]["members"]} == {
        CHAIR,
        "police-2",
        "school-9",
        "health-4",
    }
    attended = only(entries, "panel.attendance_recorded")
    assert _by(attended) == chair and attended["detail"]["conflicts"] == ["school-9"]
    assert len(attended["detail"]["attendees"]) == 4
    assert _by(only(entries, "panel.agenda_published")) == chair
    assert only(entries, "panel.member_seated")["detail"]["subject"] == "youth-7"
    assert _by(only(entries, "panel.information_requested")) == chair
    replied = only(entries, "panel.information_replied")
    assert _by(replied) == ("school-9", "panel_member", "audit_log")
    assert replied["detail"] == {"request_id": ids["request"], "agency": "education"}
    assessed = only(entries, "panel.vulnerability_assessed")
    assert _by(assessed) == chair and assessed["detail"]["meeting_id"] == ids["meeting"]
    assert only(entries, "panel.agenda_item_added")["detail"]["meeting_id"] == review_id
    session = only(entries, "panel.provider_contact_recorded")
    assert _by(session) == ("mentor-a-worker", "intervention_provider", "audit_log")
    assert (session["detail"]["kind"], session["detail"]["held_on"]) == ("session", "2026-12-08")
    assert only(entries, DECIDED)["source"] == "history"

    # One order for both sources: the meeting and its casework, the decision, then support.
    assert actions_in_order(entries, *STEPS[:7], DECIDED, *STEPS[7:]) == [
        *STEPS[:7],
        DECIDED,
        *STEPS[7:],
    ]
    assert_in_time_order(entries)
    logged = json.dumps([e for e in entries if e["source"] == "audit_log"])
    assert not [text for text in FREE_TEXT if text in logged]


async def test_steps_without_a_case_are_logged_alone(system: Pipeline) -> None:
    """A new panel, a meeting with an empty agenda, a seat on a panel with no cases: each is
    logged once, without a case (no timeline shows it, but nothing goes unrecorded)."""
    d = system.driver
    panel_id = await d.panel()
    await d.ok(
        "POST",
        f"/v1/panels/{panel_id}/meetings",
        json={"scheduled_for": dt.datetime.now(dt.UTC).isoformat()},
    )
    await d.ok("PUT", f"/v1/panels/{panel_id}/members/youth-7", json={"agency": "youth_justice"})
    await d.ok("DELETE", f"/v1/panels/{panel_id}/members/youth-7")
    rows = await system.rows(
        "SELECT action, actor, referral_id, detail::text AS detail FROM audit.log_entries"
        " WHERE kind = 'action' ORDER BY at"
    )
    assert [(r["action"], r["actor"], r["referral_id"]) for r in rows] == [
        ("panel.panel_created", CHAIR, None),
        ("panel.meeting_created", CHAIR, None),
        ("panel.member_seated", CHAIR, None),
        ("panel.member_removed", CHAIR, None),
    ]
    created = json.loads(rows[0]["detail"])
    assert created["panel_id"] == panel_id and len(created["members"]) == 4
