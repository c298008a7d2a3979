"""The Channel chair's case page and casework forms, over the real APIs, without a browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from safeguard.auth.staff import development_signing_key
from safeguard.codes import Role
from services.panel.factors import FACTORS
from tests.helpers import assert_eventually
from tests.panel.driver import OTHER_AREA, PanelDriver, Staff, provider_entry
from tests.web.conftest import Site
from tests.web.staff import Visitor, visitor
from workflows.referral.workflows import workflow_id_for

AREA = "E08000003"
CONSENT_REQUEST = {"route": "guardian", "method": "letter"}
CONSENT_GIVEN = {
    "decision": "given",
    "scope": "Mentoring and college support.",
    "method": "phone",
    "answered_by": "parent_or_guardian",
}
MENTORING = {
    "interventions-1-type": "ideological_mentoring",
    "interventions-1-provider_id": "mentor-a",
    "interventions-1-frequency": "weekly",
    "interventions-1-start-day": "1",
    "interventions-1-start-month": "12",
    "interventions-1-start-year": "2026",
}
COLLEGE = {
    "interventions-1-type": "educational",
    "interventions-1-provider_id": "college-b",
    "interventions-1-frequency": "fortnightly",
    "interventions-1-start-day": "5",
    "interventions-1-start-month": "1",
    "interventions-1-start-year": "2027",
}


@pytest.fixture
async def chair(pages: Site) -> AsyncIterator[Visitor]:
    """Chair 03 of area E08000003, signed in."""
    person = await visitor(pages, "chair-03", Role.CHANNEL_CHAIR, (AREA,))
    yield person
    await person.http.aclose()


@pytest.fixture
def driver(pages: Site) -> PanelDriver:
    """The panel API as the area's chair, for what has no page here (panels, meetings)."""
    return PanelDriver(
        pages.panel, pages.http, Staff(development_signing_key(pages.settings.data_dir))
    )


async def channel_case(pages: Site, driver: PanelDriver) -> str:
    """A school's referral that the officer refers to Channel; it waits for consent."""
    reference = await pages.refer()
    officer = driver.staff.officer()

    async def in_inbox() -> bool:
        page = await pages.http.get(f"{pages.assessment}/v1/tasks", headers=officer)
        return any(t["reference"] == reference for t in page.json()["items"])

    await assert_eventually(in_inbox, within=30)
    answer = await pages.http.post(
        f"{pages.assessment}/v1/cases/{reference}/gateway-assessment",
        headers=officer,
        json={
            "outcome": "REFERRED_TO_CHANNEL",
            "reasons": "Reasonable grounds to believe the person is vulnerable.",
            "deconfliction": "no_live_interest",
            "database_checks": "Nothing held.",
        },
    )
    assert answer.status_code == 200, answer.text
    await driver.wait_for_stage(reference, "CONSENT_PENDING")
    return reference


async def send(chair: Visitor, reference: str, slug: str, form: dict[str, str]) -> str:
    """Post a casework form and send it from the check page; the page that ends it."""
    base = f"/chair/cases/{reference}/{slug}"
    first = await chair.post(base, form)
    assert first.status_code == 303, first.text
    check = await chair.get(f"{base}/check")
    assert check.status_code == 200 and "Check your answers" in check.text
    sent = await chair.post(f"{base}/check", {})
    if sent.status_code == 303:
        done = await chair.get(sent.headers["location"])
        assert done.status_code == 200
        return done.text
    return sent.text


def assessment_form() -> dict[str, str]:
    """Every factor rated, each with its rationale (engagement high, the rest low)."""
    form = {"summary": "Engagement factors high; little intent or capability."}
    for name, (dimension, label) in FACTORS.items():
        form[f"{name}-rating"] = "high" if dimension == "engagement" else "low"
        form[f"{name}-notes"] = f"Rationale for {label.lower()}."
    return form


async def case_page(chair: Visitor, reference: str) -> str:
    page = await chair.get(f"/chair/cases/{reference}")
    assert page.status_code == 200, page.text
    return page.text


async def advance(pages: Site, env: WorkflowEnvironment, reference: str, days: int) -> None:
    """Move the case's virtual clock on."""
    handle = pages.temporal.get_workflow_handle(workflow_id_for(reference))
    await env.fast_forward(handle, timedelta(days=days))


async def test_a_chair_takes_a_case_from_consent_to_closure(
    pages: Site, chair: Visitor, driver: PanelDriver, temporal_env: WorkflowEnvironment
) -> None:
    reference = await channel_case(pages, driver)
    await driver.register("mentor-a", "college-b")
    page = await case_page(chair, reference)
    assert "Ask for consent" in page and "Record the panel&#39;s decision" not in page

    done = await send(chair, reference, "consent-request", CONSENT_REQUEST)
    assert "Consent requested" in done
    done = await send(chair, reference, "consent-answer", CONSENT_GIVEN)
    assert "panel consideration" in done
    await driver.wait_for_stage(reference, "PANEL_CONSIDERATION")

    request = {"agency": "education", "question": "Attendance this term?"}
    request |= {"due_by-day": "20", "due_by-month": "12", "due_by-year": "2026"}
    assert "Information requested" in await send(chair, reference, "information-request", request)
    done = await send(chair, reference, "vulnerability-assessment", assessment_form())
    assert "Vulnerability assessment recorded" in done

    # A conflict declared for the whole meeting has no case: the decision shows it without one.
    board = {"attendee_id": "health-4", "description": "Sits on the trust's board."}
    meeting = await driver.meeting(reference, conflicts=[board])
    decision = {
        "meeting_id": meeting,
        "adopted": "yes",
        "basis": "majority",
        "votes_for": "3",
        "votes_against": "1",
        "reasons": "Vulnerable; support is proportionate.",
        "consent_arrangements": "Guardian consented by phone.",
    } | MENTORING
    form = await chair.get(f"/chair/cases/{reference}/decision?meeting={meeting}")
    assert f'value="{meeting}"' in form.text
    assert (await chair.post(f"/chair/cases/{reference}/decision", decision)).status_code == 303
    check = (await chair.get(f"/chair/cases/{reference}/decision/check")).text
    assert "From the meeting's record" in check and "police-2 (police)" in check
    assert (
        "By majority" in check
        and "Ideological mentoring, Provider mentor-a (mentor-a), Weekly, 1 December 2026" in check
    )
    assert "support active" in await send(chair, reference, "decision", decision)
    await driver.wait_for_stage(reference, "SUPPORT_ACTIVE")

    page = await case_page(chair, reference)
    assert "Guardian" in page and "Mentoring and college support." in page
    assert "Phone, answered by the parent or guardian" in page
    assert "Attendance this term?" in page and "20 December 2026" in page
    assert page.count("Rationale for") == len(FACTORS)
    assert "Engagement (13 factors)" in page and "Intent (6 factors)" in page
    assert "Capability (3 factors)" in page
    assert "mentor-a" in page and "Revision 1 (current)" in page
    assert "police-2 police" in page and "Revision shown under Support plan" in page
    conflicts = re.search(r"Conflicts\s*</dt>\s*<dd[^>]*>\s*([^<]*?)\s*</dd>", page)
    assert conflicts is not None and conflicts[1] == "health-4 Sits on the trust&#39;s board."
    assert f'href="/meetings/{meeting}"' in page and "attended" in page
    assert "Monthly support review" in page

    await advance(pages, temporal_env, reference, 31)

    async def review_due() -> str:
        return await case_page(chair, reference)

    await assert_eventually(review_due, lambda text: "Support review due" in text)
    review = {"decision": "continue", "notes": "Engaging well with mentoring."}
    assert "Support review recorded" in await send(chair, reference, "support-review", review)
    review = {"decision": "revise", "notes": "College place found."} | COLLEGE
    assert "Support review recorded" in await send(chair, reference, "support-review", review)
    plan = MENTORING | {"consent_arrangements": "Guardian agreed the change."}
    assert "Support plan revised" in await send(chair, reference, "support-plan", plan)
    # An exit says why, from the fixed list.
    review = {"decision": "exit", "notes": "Reviewed at the panel."}
    answer = await chair.post(f"/chair/cases/{reference}/support-review", review)
    assert answer.status_code == 400 and "Select why support ends" in answer.text
    assert 'value="vulnerability_lessened"' in answer.text and 'href="#exit_reason"' in answer.text
    review |= {"exit_reason": "vulnerability_lessened"}
    assert "post exit review" in await send(chair, reference, "support-review", review)
    await driver.wait_for_stage(reference, "POST_EXIT_REVIEW")

    page = await case_page(chair, reference)
    assert "Why support ended" in page and "Vulnerability significantly lessened" in page
    assert "Support ended (vulnerability significantly lessened)" in page
    assert "6-month post-exit review" in page and "12-month post-exit review" in page
    assert "Revision 3 (current)" in page and "college-b" in page
    assert "Engaging well with mentoring." in page
    # Not offered straight after exit: a post-exit review opens shortly before it is due.
    assert "/post-exit-review" not in page

    await advance(pages, temporal_env, reference, 186)
    assert "/post-exit-review" in await case_page(chair, reference)
    six = {"months": "6", "concerns": "no", "notes": "Settled at college."}
    assert "Post-exit review recorded" in await send(chair, reference, "post-exit-review", six)
    await advance(pages, temporal_env, reference, 186)  # the 12-month review's window opens
    twelve = {"months": "12", "concerns": "no", "notes": "No concerns."}
    assert "closed" in await send(chair, reference, "post-exit-review", twelve)
    await driver.wait_for_stage(reference, "CLOSED")

    page = await case_page(chair, reference)
    assert "Support completed" in page and "Settled at college." in page
    assert "What you can do" not in page
    decisions = [d.actor_id for d in await pages.decisions(reference)]
    assert decisions.count("chair-03") == 9


async def test_refusals_and_missing_answers_keep_what_the_chair_typed(
    pages: Site, chair: Visitor, driver: PanelDriver
) -> None:
    reference = await channel_case(pages, driver)
    meeting = await driver.meeting(reference)
    # The plan's providers come from the register: none yet, none offered.
    form = (await chair.get(f"/chair/cases/{reference}/decision")).text
    assert "No approved provider is registered for this case" in form
    await driver.register("mentor-a")
    elsewhere = provider_entry("far-away", national=False, areas=[OTHER_AREA])
    await driver.ok("POST", "/v1/providers", json=elsewhere)
    form = (await chair.get(f"/chair/cases/{reference}/decision")).text
    assert 'value="mentor-a"' in form and "far-away" not in form
    typed = {
        "meeting_id": meeting,
        "adopted": "yes",
        "basis": "majority",
        "votes_for": "3",
        "votes_against": "1",
        "reasons": "Typed before consent was asked, at some length.",
    } | MENTORING
    refused = await send(chair, reference, "decision", typed)
    assert "There is a problem" in refused and "not allowed in stage CONSENT_PENDING" in refused
    assert "Typed before consent was asked, at some length." in refused
    assert 'value="mentor-a"' in refused
    assert all(d.actor_id != "chair-03" for d in await pages.decisions(reference))
    far = typed | {"interventions-1-provider_id": "far-away"}
    answer = await chair.post(f"/chair/cases/{reference}/decision", far)
    assert answer.status_code == 400 and "Select the provider (row 1)" in answer.text
    page = await case_page(chair, reference)
    assert re.search(r"Record the panel.s decision", page) is None  # not allowed yet
    assert "In progress" not in page  # the decision's draft is not a next step before consent

    # The meeting is picked from the case's own meetings: another is refused on the form.
    form = (await chair.get(f"/chair/cases/{reference}/decision")).text
    assert f'value="{meeting}"' in form and "attended)" in form
    unknown = typed | {"meeting_id": "5f0c3c1e-0000-4000-8000-000000000000"}
    answer = await chair.post(f"/chair/cases/{reference}/decision", unknown)
    assert answer.status_code == 400 and "Select the meeting" in answer.text
    assert 'href="#meeting_id"' in answer.text

    # Missing and invalid answers: every message linked, the typed rationale kept.
    partial = assessment_form()
    del partial["harmful_means-rating"]
    partial["grievance_injustice-notes"] = "Kept while the rest is fixed."
    answer = await chair.post(f"/chair/cases/{reference}/vulnerability-assessment", partial)
    assert answer.status_code == 400
    assert 'href="#harmful_means-rating"' in answer.text
    assert "Select a rating for harmful means to an end" in answer.text
    assert "Kept while the rest is fixed." in answer.text
    page = await case_page(chair, reference)
    assert "In progress" in page

    bad_date = {"agency": "health", "question": "Any contact?", "due_by-day": "31"}
    bad_date |= {"due_by-month": "2", "due_by-year": "2027"}
    answer = await chair.post(f"/chair/cases/{reference}/information-request", bad_date)
    assert answer.status_code == 400 and "must be a real date" in answer.text
    assert 'value="31"' in answer.text

    # The workflow checks the route against the person's age: a child's consent is a guardian's.
    wrong = await send(chair, reference, "consent-request", {"route": "person", "method": "email"})
    assert "There is a problem" in wrong and "guardian" in wrong
    assert await driver.case(reference) is not None
    records: list[Any] = await driver.ok("GET", f"/v1/cases/{reference}/consent")
    assert records == []
    assert (await chair.get("/chair/cases/PRV-2026-999999")).status_code == 404
