"""The routing table and templates (pure logic)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from safeguard.events.contracts import EVENT_TYPES
from services.notifications.directory import PARTNER_AGENCY
from services.notifications.links import LINKED_TEMPLATES
from services.notifications.models import DirectoryRole
from services.notifications.routing import ROUTES, SUPERVISES, Audience, how_late, plan
from services.notifications.templates import TEMPLATES, render
from services.notifications.webhook import signature, verify
from tests.events.factories import sample_event


def test_every_route_names_a_known_event_type_and_template() -> None:
    assert set(ROUTES) <= set(EVENT_TYPES)
    assert {route.template for routes in ROUTES.values() for route in routes} <= set(TEMPLATES)


LINK_PARAMS = {"link": "http://127.0.0.1:8000/consent/t", "link_expires": "15 December 2026"}


@pytest.mark.parametrize("event_type", sorted(ROUTES))
def test_every_planned_notification_renders(event_type: str) -> None:
    planned = plan(sample_event(event_type, reference="PRV-2026-000007"))
    assert planned
    for item in planned:
        # A consent request's link is added when it is sent, never planned (or stored).
        assert "link" not in item.params
        sent = LINK_PARAMS if item.template in LINKED_TEMPLATES else {}
        message = render(item.template, item.params | sent)
        assert "PRV-2026-000007" in message.subject + message.body
        assert "{" not in message.subject + message.body


def test_a_plan_tells_each_provider_of_its_own_items_only() -> None:
    items = [
        {"item_id": str(uuid.uuid4()), "intervention": "educational", "provider_id": "b-co"},
        {"item_id": str(uuid.uuid4()), "intervention": "vocational", "provider_id": "a-co"},
        {"item_id": str(uuid.uuid4()), "intervention": "mental_health", "provider_id": "a-co"},
    ]
    planned = plan(sample_event("support_plan.revised", items=items))
    assert [(p.recipient, p.params["item_count"], p.params["interventions"]) for p in planned] == [
        ("intervention_provider@a-co", "2", "mental_health, vocational"),
        ("intervention_provider@b-co", "1", "educational"),
    ]


def test_best_interests_consent_asks_nobody() -> None:
    assert plan(sample_event("consent.requested", route="best_interests")) == []
    asked = plan(sample_event("consent.requested", route="guardian"))
    assert [(p.audience, p.recipient) for p in asked] == [
        (Audience.CONSENT_CONTACT, "consent_contact")
    ]


def test_area_teams_are_addressed_by_area() -> None:
    planned = plan(sample_event("referral.submitted", area="west-midlands"))
    assert {p.recipient for p in planned} == {"referrer", "prevent_officers@west-midlands"}


def test_a_case_placed_out_of_triage_tells_its_new_areas_officers() -> None:
    planned = plan(sample_event("case.area_set", area="E08000003", reference="PRV-2026-000007"))
    assert [(p.template, p.recipient) for p in planned] == [
        ("case_placed_in_area", "prevent_officers@E08000003")
    ]


def test_webhook_signatures_bind_the_timestamp_and_body() -> None:
    sent = signature("k" * 32, "1700000000", b'{"a":1}')
    assert sent.startswith("sha256=") and verify("k" * 32, "1700000000", b'{"a":1}', sent)
    assert not verify("k" * 32, "1700000001", b'{"a":1}', sent)
    assert not verify("k" * 32, "1700000000", b'{"a":2}', sent)


def test_meeting_events_tell_the_areas_panel_of_the_case_and_the_meeting_time() -> None:
    for event_type, template in [
        ("panel.meeting_scheduled", "panel_meeting_invitation"),
        ("panel.agenda_published", "panel_agenda"),
    ]:
        planned = plan(
            sample_event(
                event_type,
                area="E08000003",
                reference="PRV-2026-000007",
                meeting_at="2026-07-02T09:00:00+00:00",
            )
        )
        assert [(p.template, p.recipient) for p in planned] == [
            (template, "channel_panel@E08000003")
        ]
        message = render(planned[0].template, planned[0].params)
        # Summer time: 9am UTC is 10am in the UK.
        assert "02 July 2026 at 10:00" in message.subject + message.body


@pytest.mark.parametrize(
    ("method", "template", "recipient"),
    [
        ("letter", "consent_request_letter", "consent_contact/letter"),
        ("email", "consent_request", "consent_contact/email"),
        ("in_person", "consent_request", "consent_contact"),
        (None, "consent_request", "consent_contact"),
    ],
)
def test_a_consent_request_is_sent_as_it_was_made(
    method: str | None, template: str, recipient: str
) -> None:
    for event_type in ("consent.requested", "consent.reminder_due"):
        planned = plan(sample_event(event_type, route="guardian", method=method))
        expected = template.replace("request", "reminder") if "reminder" in event_type else template
        assert [(p.template, p.recipient) for p in planned] == [(expected, recipient)]


@pytest.mark.parametrize("template", sorted(LINKED_TEMPLATES))
def test_a_request_for_an_answer_never_says_do_not_reply(template: str) -> None:
    body = render(template, {"reference": "PRV-2026-000007", "due": "1 May 2026"} | LINK_PARAMS)
    assert "Do not reply" not in body.body and "reply by" not in body.body
    assert "Please tell us by 1 May 2026" in body.body


def test_an_overdue_assessment_is_escalated_to_the_areas_supervisors() -> None:
    event = sample_event(
        "assessment.overdue",
        area="E08000003",
        reference="PRV-2026-000007",
        due_at="2026-03-09T17:00:00+00:00",
    )
    planned = plan(event, at=datetime(2026, 3, 12, 9, 30, tzinfo=UTC))
    assert [(p.template, p.audience, p.recipient) for p in planned] == [
        ("assessment_overdue", Audience.PREVENT_OFFICERS, "prevent_officers@E08000003"),
        ("assessment_escalation", Audience.PREVENT_SUPERVISORS, "prevent_supervisors@E08000003"),
    ]
    message = render(planned[1].template, planned[1].params)
    assert message.subject == "Escalation: gateway assessment PRV-2026-000007 is overdue"
    assert "was due on 09 March 2026" in message.body
    assert "escalated, on 12 March 2026, it was 2 days overdue" in message.body
    # The case by its reference only, as every other text.
    assert set(planned[1].params) == {"reference", "due", "escalated", "overdue"}


@pytest.mark.parametrize(
    ("late", "words"),
    [
        (timedelta(minutes=-5), "less than an hour"),
        (timedelta(minutes=59), "less than an hour"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=23, minutes=59), "23 hours"),
        (timedelta(days=1, hours=5), "1 day"),
        (timedelta(days=9), "9 days"),
    ],
)
def test_how_late_an_escalated_task_is_reads_at_a_glance(late: timedelta, words: str) -> None:
    assert how_late(late) == words


def test_every_team_routed_through_the_directory_may_have_an_entry() -> None:
    # An audience without a directory role could never be reached (its entries refused).
    by_directory = set(Audience) - {Audience.REFERRER, Audience.CONSENT_CONTACT}
    assert {a.value for a in by_directory} | {PARTNER_AGENCY} == set(get_args(DirectoryRole))
    assert set(SUPERVISES) <= by_directory and set(SUPERVISES.values()) <= by_directory


def test_a_transfer_request_tells_the_receiving_area_and_a_refusal_the_sender() -> None:
    asked = sample_event(
        "case.transfer_requested", area="E08000003", to_area="E08000009", reference="PRV-2026-1"
    )
    declined = sample_event(
        "case.transfer_declined", area="E08000003", to_area="E08000009", reference="PRV-2026-1"
    )
    assert [(p.template, p.recipient) for p in plan(asked)] == [
        ("transfer_requested", "prevent_officers@E08000009")
    ]
    assert [(p.template, p.recipient) for p in plan(declined)] == [
        ("transfer_declined", "prevent_officers@E08000003")
    ]
    message = render("transfer_requested", plan(asked)[0].params)
    assert "accept or decline" in message.body and "PRV-2026-1" in message.subject
