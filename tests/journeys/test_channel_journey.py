"""A referral from a school to closure after the 12-month post-exit review, over HTTP only.

Intake (as a registered partner), the assessment service (the officer's gateway assessment)
and the panel service (everything the local authority does), under both consent policies;
only the clock is moved directly, by time skipping. Then an auditor checks the closed case's
timeline, who read it and the audit log, and has one read proven (tests/journeys/auditor.py).
"""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_eventually
from tests.journeys.auditor import audit_the_case
from tests.journeys.conftest import Journey
from tests.panel.driver import all_factors, plan


async def _consent(j: Journey, reference: str) -> None:
    """The chair asks the guardian, who consents with a token bound to the case (as a consent
    link's holder does)."""
    await j.panel.request_consent(reference)
    consent = await j.panel.give_consent(reference, headers=j.staff.guardian(reference))
    assert consent == {"acknowledged": True}  # they read nothing of the case


async def _panel_meets(j: Journey, reference: str) -> dict[str, Any]:
    """A meeting considers the case: information from partners, assessment, adoption."""
    d = j.panel
    meeting = await d.meeting(
        reference,
        conflicts=[{"attendee_id": "school-9", "reference": reference, "description": "Teacher."}],
    )
    request = await d.ok(
        "POST",
        f"/v1/cases/{reference}/information-requests",
        json={"agency": "education", "question": "Attendance and behaviour this term?"},
    )
    reply = await d.ok(
        "POST",
        f"/v1/information-requests/{request['id']}/reply",
        headers=j.staff.member("school-9"),
        json={"reply": "Attendance 82%; two incidents."},
    )
    assert reply["replied_by"] == "school-9"
    assessment = await d.ok(
        "POST",
        f"/v1/cases/{reference}/vulnerability-assessments",
        json={
            "meeting_id": meeting,
            "summary": "Engagement factors high.",
            "factors": all_factors(),
        },
    )
    assert [len(assessment["dimensions"][k]) for k in ("engagement", "intent", "capability")] == [
        13,
        6,
        3,
    ]
    return await d.adopt(reference, meeting, "mentor-a", "college-b")


async def _due(j: Journey, reference: str, kind: str, **expected: Any) -> dict[str, Any]:
    async def line() -> dict[str, Any] | None:
        return await j.queue_item(reference)

    found = await assert_eventually(
        line,
        lambda item: (
            item is not None
            and item["due_kind"] == kind
            and all(item[k] == v for k, v in expected.items())
        ),
    )
    assert found is not None
    return found


async def test_referral_to_closure_after_the_12_month_review(journey: Journey) -> None:
    j, d = journey, journey.panel
    reference = await j.refer()
    await j.police_refer_to_channel(reference)

    async def known() -> dict[str, Any] | None:
        return await d.case(reference)

    view = await assert_eventually(
        known,
        lambda v: (
            v is not None and v["case"]["stage"] in ("CONSENT_PENDING", "PANEL_CONSIDERATION")
        ),
    )
    assert view is not None
    policy = view["status"]["consent_policy"]
    if policy == "before_panel":
        assert view["case"]["stage"] == "CONSENT_PENDING"
        await _consent(j, reference)
        await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
        decided = await _panel_meets(j, reference)
    else:
        assert view["case"]["stage"] == "PANEL_CONSIDERATION"
        decided = await _panel_meets(j, reference)
        assert decided["stage"] == "CONSENT_PENDING"  # adopted; support waits for consent
        await d.wait_for_stage(reference, "CONSENT_PENDING")
        await _consent(j, reference)
    # The stage and the plan come in two events of one step: the read model may have the one
    # a moment before the other (seen under load).
    view = await assert_eventually(
        known, lambda v: v is not None and v["case"]["stage"] == "SUPPORT_ACTIVE" and v["plan"]
    )
    assert view is not None
    assert [item["provider_id"] for item in view["plan"][0]["items"]] == ["mentor-a", "college-b"]
    assert [c["event"] for c in view["consent"]] == ["requested", "given"]
    assert view["consent"][1]["recorded_role"] == "person_or_guardian"

    # The provider sees its own item and records the first session.
    mentor = j.staff.provider("mentor-a")
    items = await d.ok("GET", "/v1/provider/items", headers=mentor)
    assert [i["reference"] for i in items] == [reference]
    await d.ok(
        "POST",
        f"/v1/provider/items/{items[0]['item_id']}/contacts",
        headers=mentor,
        json={"held_on": "2026-12-08", "kind": "session", "attended": True},
    )

    # A month on the review falls due; two weeks later it is overdue and escalated.
    await j.advance(reference, 31)
    due = await _due(j, reference, "support_review", overdue=False)
    await j.advance(reference, 15)
    late = await _due(j, reference, "support_review", overdue=True)
    assert late["due_at"] == due["due_at"] and late["escalated_at"] is not None
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/support-reviews",
        json={"decision": "revise", "notes": "College place found.", "plan": plan("college-b")},
    )
    await _due(j, reference, "support_review", overdue=False, escalated_at=None)

    async def mentors_items() -> list[Any]:
        return list(await d.ok("GET", "/v1/provider/items", headers=mentor))

    await assert_eventually(mentors_items, lambda found: found == [])  # the revision dropped it

    # Support ends; the 6- and 12-month reviews are scheduled and must not be lost.
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/support-reviews",
        json={
            "decision": "exit",
            "notes": "Reviewed at the panel.",
            "exit_reason": {"code": "vulnerability_lessened"},
        },
    )
    view = await d.wait_for_stage(reference, "POST_EXIT_REVIEW")
    assert view["case"]["exit_reason"] == "vulnerability_lessened"
    six, twelve = view["case"]["review_6_months_at"], view["case"]["review_12_months_at"]
    assert six is not None and twelve is not None and six < twelve
    assert [(r["months"], r["due_at"]) for r in view["case"]["post_exit_reviews"]] == [
        (6, six),
        (12, twelve),
    ]
    # Not at exit: a review is accepted from a window (28 days by default) before it is due.
    early = await d.call(
        "POST",
        f"/v1/cases/{reference}/post-exit-reviews",
        json={"months": 6, "concerns": False, "notes": "Too early."},
    )
    assert (early.status_code, early.json()["stage"]) == (409, "POST_EXIT_REVIEW"), early.text
    await j.advance(reference, 186)
    await _due(j, reference, "post_exit_review", due_months=6, due_at=six)
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/post-exit-reviews",
        json={"months": 6, "concerns": False, "notes": "Settled at college."},
    )
    await _due(j, reference, "post_exit_review", due_months=12, due_at=twelve)
    await j.advance(reference, 186)
    await _due(j, reference, "post_exit_review", due_months=12, due_at=twelve)
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/post-exit-reviews",
        json={"months": 12, "concerns": False, "notes": "No concerns."},
    )

    closed = await assert_eventually(
        known, lambda v: v is not None and v["case"]["closure_reason"] is not None
    )
    assert closed is not None
    view = closed
    assert (view["case"]["stage"], view["case"]["closure_reason"]) == (
        "CLOSED",
        "SUPPORT_COMPLETED",
    )
    assert await j.queue_item(reference) is None
    kinds = [entry["summary"] for entry in view["chronology"] if entry["kind"] == "event"]
    assert kinds[0].startswith("Referral received") and kinds[-1].startswith("Case closed")
    assert any(s.startswith("12-month post-exit review held") for s in kinds)

    async def told() -> str:
        return await j.partner_status(reference)

    await assert_eventually(told, lambda status: status == "closed")
    await audit_the_case(j, reference)
