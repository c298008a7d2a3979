"""Decisions carry their context into the workflow history, and the audit timeline shows it:
the submitting agency, how consent was asked and answered, the meeting a panel decision was
taken at and the conflicts declared on the case. Everything goes through the services' APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.audit.steps import Entry, audit_service, only, timeline_with
from tests.panel.conftest import Pipeline


@pytest.fixture
async def audit_url(system: Pipeline) -> AsyncIterator[str]:
    """The audit service beside the panel, on the same database and Temporal."""
    async with audit_service(system.settings, system.temporal) as url:
        yield url


async def _entry(system: Pipeline, audit_url: str, reference: str, action: str) -> Entry:
    """The case's one timeline entry for `action`, once the timeline has it."""
    auditor = system.staff.auditor()
    return only(await timeline_with(system.http, audit_url, reference, auditor, action), action)


async def test_the_opened_entry_names_the_submitting_agency(
    system: Pipeline, audit_url: str
) -> None:
    reference = await system.submit()
    opened = await _entry(system, audit_url, reference, "referral received")
    assert opened["kind"] == "opened"
    assert opened["detail"]["agency"] == {
        "client_id": "riverside-academy",
        "name": "Test agency riverside-academy",
    }


async def test_how_consent_was_asked_and_answered_is_in_the_timeline(
    system: Pipeline, audit_url: str
) -> None:
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/consent/request",
        json={"route": "guardian", "method": "phone"},
    )
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/consent/answer",
        json={"decision": "given", "method": "in_person", "answered_by": "parent_or_guardian"},
    )
    asked = await _entry(system, audit_url, reference, "request_consent")
    assert (asked["detail"]["route"], asked["detail"]["method"]) == ("guardian", "phone")
    answered = await _entry(system, audit_url, reference, "record_consent")
    assert answered["actor_id"] == "chair-3"
    assert answered["detail"] == {
        "decision": "given",
        "method": "in_person",
        "answered_by": "parent_or_guardian",
    }


async def test_a_decision_names_its_meeting_and_the_conflicts_on_its_case(
    system: Pipeline, audit_url: str
) -> None:
    d = system.driver
    reference = await system.refer()
    other = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.give_consent(reference)
    await d.wait_for_stage(other, "CONSENT_PENDING")
    conflicts = [
        {"attendee_id": "school-9", "reference": reference, "description": "Teaches them."},
        {"attendee_id": "police-2", "reference": other, "description": "Knows the family."},
        {"attendee_id": "health-4", "description": "Sits on the trust's board."},
    ]
    meeting = await d.meeting(reference, other, conflicts=conflicts)
    await d.adopt(reference, meeting, "mentor-a")

    decision = await _entry(system, audit_url, reference, "record_panel_decision")
    assert decision["kind"] == "decision"
    assert decision["detail"]["meeting_id"] == meeting
    # The conflict on the other case is not this decision's; the whole meeting's is.
    assert decision["detail"]["conflicts"] == [
        {"attendee_id": "school-9", "reference": reference, "description": "Teaches them."},
        {"attendee_id": "health-4", "reference": None, "description": "Sits on the trust's board."},
    ]
    assert len(decision["detail"]["attendees"]) == 4
