"""The Channel chair's pages over the real APIs: panels, members, meetings, agenda, attendance,
the events meetings send, and the dashboard's work queue."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from safeguard.auth.staff import development_signing_key
from safeguard.codes import Role
from safeguard.events.contracts import parse_event
from safeguard.events.envelope import EventEnvelope
from services.notifications.routing import plan
from tests.helpers import assert_eventually
from tests.panel.driver import PanelDriver, Staff
from tests.web.conftest import Site
from tests.web.staff import Visitor, visitor

AREA = "E08000003"
GATEWAY = {
    "outcome": "REFERRED_TO_CHANNEL",
    "reasons": "Drawn to an online group that glorifies attacks; support is needed.",
    "deconfliction": "no_live_interest",
    "database_checks": "Nothing held.",
}
NEXT_YEAR = str(dt.datetime.now(dt.UTC).year + 1)


@pytest.fixture
async def chair(pages: Site) -> AsyncIterator[Visitor]:
    """Chair 03 of area E08000003, signed in."""
    person = await visitor(pages, "chair-03", Role.CHANNEL_CHAIR, (AREA,))
    yield person
    await person.http.aclose()


def _driver(site: Site) -> PanelDriver:
    staff = Staff(development_signing_key(site.settings.data_dir))
    return PanelDriver(url=site.panel, http=site.http, staff=staff)


async def referred_to_channel(site: Site, form: dict[str, Any] | None = None) -> str:
    """A referral the officer sent to Channel, in the panel's read model awaiting consent."""
    reference = await site.refer(form=form)
    driver = _driver(site)

    async def send() -> httpx.Response:
        return await site.http.post(
            f"{site.assessment}/v1/cases/{reference}/gateway-assessment",
            json=GATEWAY,
            headers=driver.staff.officer(),
        )

    await assert_eventually(send, lambda answer: answer.status_code == 200, within=30)
    await driver.wait_for_stage(reference, "CONSENT_PENDING")
    return reference


async def _post(person: Visitor, path: str, form: dict[str, Any]) -> httpx.Response:
    """A form whose fields may repeat (checkboxes), with the session's CSRF token."""
    return await person.http.post(path, data=form | {"csrf_token": person.csrf})


async def _outbox(site: Site, event_type: str) -> list[EventEnvelope]:
    rows = await site.pool.fetch(
        "SELECT payload FROM messaging.outbox WHERE payload->>'type' = $1 ORDER BY id", event_type
    )
    return [EventEnvelope.model_validate(row["payload"]) for row in rows]


def _error_summary(html: str) -> str:
    found = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>', html, re.S)
    assert found, "the page has a GOV.UK error summary"
    return found.group(0)


async def test_the_chair_runs_a_panel_from_members_to_attendance(
    pages: Site, chair: Visitor
) -> None:
    reference = await referred_to_channel(pages)

    start = await chair.get("/")
    assert start.headers["location"] == "/chair"
    listing = await chair.get("/panels")
    assert listing.status_code == 200
    assert 'href="/chair"' in listing.text and 'href="/panels"' in listing.text
    assert "You have no panels yet" in listing.text

    created = await chair.post("/panels", {"name": "Riverside Channel panel"})
    assert created.status_code == 303, created.text
    panel_path = created.headers["location"]
    panel_id = panel_path.rsplit("/", 1)[-1]
    for subject, agency in [
        ("chair-03", "local authority"),
        ("member-05", "children's social care"),
        ("police-2", "police"),
    ]:
        added = await chair.post(f"{panel_path}/members", {"subject": subject, "agency": agency})
        assert added.status_code == 303, added.text
    removed = await chair.post(f"{panel_path}/members/police-2/remove", {})
    assert removed.status_code == 303
    page = (await chair.get(panel_path)).text
    assert "Riverside Channel panel" in page and "police-2 removed from the panel" in page
    assert "member-05" in page and "children&#39;s social care" in page
    assert ">police-2<" not in page

    form = (await chair.get(f"{panel_path}/meetings/new")).text
    assert f'value="{reference}"' in form and 'name="date-day"' in form
    scheduled = await _post(
        chair,
        f"{panel_path}/meetings/new",
        {"date-day": "4", "date-month": "3", "date-year": NEXT_YEAR, "time": "10:30"},
    )
    assert scheduled.status_code == 303, scheduled.text
    meeting_path = scheduled.headers["location"]
    meeting_id = meeting_path.rsplit("/", 1)[-1]
    page = (await chair.get(meeting_path)).text
    assert f"Meeting on 4 March {NEXT_YEAR} at 10:30am" in page
    assert "No cases are on the agenda yet" in page
    assert "Publish the agenda" not in page

    added = await chair.post(f"{meeting_path}/agenda", {"reference": reference})
    assert added.status_code == 303, added.text
    page = (await chair.get(meeting_path)).text
    assert f'href="/chair/cases/{reference}"' in page
    assert await _outbox(pages, "panel.agenda_published") == []

    published = await chair.post(f"{meeting_path}/publish", {})
    assert published.status_code == 303, published.text
    page = (await chair.get(meeting_path)).text
    assert "Agenda published: the panel has been told" in page and "Published on" in page
    [notice] = await _outbox(pages, "panel.agenda_published")
    assert notice.data["meeting_id"] == meeting_id and notice.data["reference"] == reference
    told = plan(parse_event(notice))
    assert [(p.template, p.recipient) for p in told] == [("panel_agenda", f"channel_panel@{AREA}")]

    recorded = await _post(
        chair,
        f"{meeting_path}/attendance",
        {
            "attended": ["chair-03", "member-05"],
            "conflict-1-attendee": "member-05",
            "conflict-1-reference": reference,
            "conflict-1-description": "Taught the young person last year.",
        },
    )
    assert recorded.status_code == 303, recorded.text
    page = (await chair.get(meeting_path)).text
    assert "Attendance recorded" in page and "Taught the young person last year." in page
    meeting = await _driver(pages).ok("GET", f"/v1/meetings/{meeting_id}")
    assert {a["id"]: a["agency"] for a in meeting["attendees"]} == {
        "chair-03": "local authority",
        "member-05": "children's social care",
    }
    assert meeting["conflicts"] == [
        {
            "attendee_id": "member-05",
            "reference": reference,
            "description": "Taught the young person last year.",
        }
    ]
    listed = (await chair.get(panel_path)).text
    assert f'href="/meetings/{meeting_id}"' in listed and "Attendance recorded" in listed
    assert panel_id in listed


async def test_scheduling_with_cases_tells_the_panel(pages: Site, chair: Visitor) -> None:
    reference = await referred_to_channel(pages)
    panel = await chair.post("/panels", {"name": "Riverside Channel panel"})
    panel_path = panel.headers["location"]
    scheduled = await _post(
        chair,
        f"{panel_path}/meetings/new",
        {
            "date-day": "12",
            "date-month": "1",
            "date-year": NEXT_YEAR,
            "time": "9:00",
            "agenda": [reference],
        },
    )
    assert scheduled.status_code == 303, scheduled.text
    [notice] = await _outbox(pages, "panel.meeting_scheduled")
    assert notice.data["reference"] == reference
    assert notice.data["meeting_id"] == scheduled.headers["location"].rsplit("/", 1)[-1]
    told = plan(parse_event(notice))
    assert [(p.template, p.recipient) for p in told] == [
        ("panel_meeting_invitation", f"channel_panel@{AREA}")
    ]
    assert f"12 January {NEXT_YEAR} at 09:00" == told[0].params["meeting"]


async def test_meeting_and_attendance_errors_keep_what_was_typed(
    pages: Site, chair: Visitor
) -> None:
    panel = await chair.post("/panels", {"name": ""})
    assert panel.status_code == 400
    assert 'href="#name"' in _error_summary(panel.text)
    panel = await chair.post("/panels", {"name": "Riverside Channel panel"})
    panel_path = panel.headers["location"]

    missing = await _post(chair, f"{panel_path}/meetings/new", {"time": "14:30"})
    assert missing.status_code == 400
    summary = _error_summary(missing.text)
    assert "There is a problem" in summary and "Enter the date of the meeting" in summary
    assert 'href="#date-day"' in summary
    assert 'value="14:30"' in missing.text
    assert missing.text.count("govuk-input--error") == 3
    assert "<title>Error: " in missing.text

    past = await _post(
        chair,
        f"{panel_path}/meetings/new",
        {"date-day": "4", "date-month": "3", "date-year": "2020", "time": "25:00"},
    )
    assert past.status_code == 400
    summary = _error_summary(past.text)
    assert "Enter the time in the 24-hour clock" in summary
    assert 'value="2020"' in past.text and 'value="25:00"' in past.text
    past = await _post(
        chair,
        f"{panel_path}/meetings/new",
        {"date-day": "4", "date-month": "3", "date-year": "2020", "time": "10:00"},
    )
    assert "Date of the meeting must be in the future" in _error_summary(past.text)
    unreal = await _post(
        chair,
        f"{panel_path}/meetings/new",
        {"date-day": "31", "date-month": "2", "date-year": NEXT_YEAR, "time": "10:00"},
    )
    assert "Date of the meeting must be a real date" in _error_summary(unreal.text)
    assert await _outbox(pages, "panel.meeting_scheduled") == []

    await chair.post(f"{panel_path}/members", {"subject": "member-05", "agency": "health"})
    scheduled = await _post(
        chair,
        f"{panel_path}/meetings/new",
        {"date-day": "4", "date-month": "3", "date-year": NEXT_YEAR, "time": "10:00"},
    )
    meeting_path = scheduled.headers["location"]
    nobody = await _post(
        chair,
        f"{meeting_path}/attendance",
        {"conflict-2-attendee": "member-05", "conflict-2-description": "Knows the family."},
    )
    assert nobody.status_code == 400
    summary = _error_summary(nobody.text)
    assert "Select who attended the meeting" in summary
    assert "Select who declared conflict 2" in summary
    assert "Knows the family." in nobody.text
    unsent = await chair.post(f"{meeting_path}/publish", {}, csrf=False)
    assert unsent.status_code == 403
    empty = await chair.post(f"{meeting_path}/publish", {})
    assert empty.status_code == 400 and "Put at least one case on the agenda first" in empty.text


async def _queue_row(
    site: Site, reference: str, stage: str, kind: str, due_in_days: float, **extra: Any
) -> None:
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=due_in_days)
    await site.pool.execute(
        "INSERT INTO panel.cases (referral_id, reference, area, stage, last_event_at, due_kind,"
        " due_at, due_months) VALUES ($1, $2, $3, $4, now(), $5, $6, $7)",
        uuid.uuid4(),
        reference,
        extra.get("area", AREA),
        stage,
        kind,
        due,
        extra.get("months"),
    )


async def test_the_dashboard_puts_post_exit_reviews_first_and_tags_what_is_late(
    pages: Site, chair: Visitor
) -> None:
    # The read model as the lifecycle events leave it (reaching a real 12-month review takes
    # a year of workflow time, so the rows are put in place directly).
    await _queue_row(pages, "PRV-2026-900001", "SUPPORT_ACTIVE", "support_review", -2)
    await _queue_row(pages, "PRV-2026-900002", "POST_EXIT_REVIEW", "post_exit_review", 3, months=12)
    await _queue_row(pages, "PRV-2026-900003", "SUPPORT_ACTIVE", "support_review", 30)
    await _queue_row(pages, "PRV-2026-900004", "POST_EXIT_REVIEW", "post_exit_review", -1, months=6)
    await _queue_row(
        pages, "PRV-2026-900005", "POST_EXIT_REVIEW", "post_exit_review", -9, area="E08000035"
    )
    page = await chair.get("/chair")
    assert page.status_code == 200
    html = page.text
    order = re.findall(r'href="/chair/cases/(PRV-2026-\d+)"', html)
    assert order == ["PRV-2026-900004", "PRV-2026-900002", "PRV-2026-900001", "PRV-2026-900003"]
    assert "6-month post-exit review" in html and "12-month post-exit review" in html
    rows = html.split("<tr")
    row = {ref: next(r for r in rows if ref in r) for ref in order}
    assert "Overdue" in row["PRV-2026-900004"] and "Overdue" in row["PRV-2026-900001"]
    assert "Due soon" in row["PRV-2026-900002"]
    assert "Overdue" not in row["PRV-2026-900003"] and "Due soon" not in row["PRV-2026-900003"]
    assert "PRV-2026-900005" not in html, "another area's case"
    late = (await chair.get("/chair?overdue=yes")).text
    assert re.findall(r'href="/chair/cases/(PRV-2026-\d+)"', late) == [
        "PRV-2026-900004",
        "PRV-2026-900001",
    ]


async def test_other_roles_and_other_areas_are_refused(pages: Site, chair: Visitor) -> None:
    created = await chair.post("/panels", {"name": "Riverside Channel panel"})
    panel_path = created.headers["location"]
    other = await visitor(pages, "chair-09", Role.CHANNEL_CHAIR, ("E08000035",))
    officer = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, (AREA,))
    try:
        assert (await other.get(panel_path)).status_code == 404
        assert "Riverside" not in (await other.get("/panels")).text
        refused = await officer.get("/panels")
        assert refused.status_code == 403 and "You cannot do this" in refused.text
        assert (await officer.get("/chair")).status_code == 403
    finally:
        await other.http.aclose()
        await officer.http.aclose()
