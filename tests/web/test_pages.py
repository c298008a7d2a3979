"""Pages over the real APIs, without a browser: headers, sessions, CSRF, scoping, errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from safeguard.codes import Role
from services.web.sessions import SessionStore
from services.web.views.sign_in import _local_path
from tests.helpers import assert_eventually
from tests.web.conftest import Site
from tests.web.staff import Visitor, visitor

AREA = "E08000003"
GATEWAY = {
    "deconfliction": "live_interest",
    "database_checks": "Checked the local intelligence system: one old entry.",
    "outcome": "NO_FURTHER_ACTION",
    "reasons": "Below the threshold.",
}


@pytest.fixture
async def officer(pages: Site) -> AsyncIterator[Visitor]:
    """Officer 17 of area E08000003, signed in."""
    person = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, (AREA,))
    yield person
    await person.http.aclose()


async def _in_inbox(officer: Visitor, reference: str) -> None:
    async def listed() -> bool:
        return reference in (await officer.get("/tasks")).text

    await assert_eventually(listed, within=30)


async def _decide(officer: Visitor, reference: str, answers: dict[str, str]) -> str:
    """Post the gateway form and send it from the check page; the final page's HTML."""
    base = f"/cases/{reference}/decisions/gateway-assessment"
    first = await officer.post(base, answers)
    assert first.status_code == 303, first.text
    sent = await officer.post(f"{base}/check", {})
    if sent.status_code == 303:
        return (await officer.get(sent.headers["location"])).text
    return sent.text


async def test_pages_carry_a_strict_policy_with_a_fresh_nonce(
    pages: Site, officer: Visitor
) -> None:
    first, second = await officer.get("/tasks"), await officer.get("/tasks")
    assert first.status_code == 200
    policy = first.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'nonce="{nonce.group(1)}"' in first.text
    assert policy != second.headers["content-security-policy"]
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["cache-control"] == "no-store"


async def test_assets_have_hashed_names_and_are_cached_for_a_year(
    pages: Site, officer: Visitor
) -> None:
    page = (await officer.get("/tasks")).text
    css = re.search(r'href="(/static/govuk/govuk-frontend\.min\.[0-9a-f]{12}\.css)"', page)
    assert css, "the stylesheet is linked under its hashed name"
    answer = await officer.get(css.group(1))
    assert answer.status_code == 200
    assert "immutable" in answer.headers["cache-control"]
    assert (await officer.get("/static/govuk/govuk-frontend.min.css")).status_code == 404


async def test_without_a_session_a_page_sends_you_to_sign_in(pages: Site) -> None:
    answer = await pages.http.get(f"{pages.url}/tasks?stage=GATEWAY_ASSESSMENT")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?return_to=%2Ftasks%3Fstage%3DGATEWAY_ASSESSMENT"


async def test_a_session_row_holds_no_readable_token(pages: Site, officer: Visitor) -> None:
    rows = await pages.pool.fetch("SELECT id_hash, sealed FROM web.sessions")
    assert rows
    for row in rows:
        assert b"eyJ" not in row["sealed"] and b"officer-17" not in row["sealed"]
        assert officer.session_id.encode() not in row["id_hash"]


async def test_a_form_without_its_csrf_token_records_nothing(pages: Site, officer: Visitor) -> None:
    reference = await pages.refer()
    await _in_inbox(officer, reference)
    base = f"/cases/{reference}/decisions/gateway-assessment"
    assert (await officer.post(base, GATEWAY)).status_code == 303
    refused = await officer.post(f"{base}/check", {}, csrf=False)
    assert refused.status_code == 403
    assert "Your form was not sent" in refused.text
    assert await pages.decisions(reference) == []


async def test_a_form_sent_after_the_session_ended_records_nothing(
    pages: Site, officer: Visitor
) -> None:
    reference = await pages.refer()
    await _in_inbox(officer, reference)
    base = f"/cases/{reference}/decisions/gateway-assessment"
    assert (await officer.post(base, GATEWAY)).status_code == 303
    await pages.pool.execute("UPDATE web.sessions SET last_seen_at = now() - interval '2 hours'")
    refused = await officer.post(f"{base}/check", {})
    assert refused.status_code == 401
    assert "You have been signed out" in refused.text
    assert await pages.decisions(reference) == []


async def test_a_case_in_another_area_is_refused_and_nothing_recorded(pages: Site) -> None:
    reference = await pages.refer()
    outsider = await visitor(pages, "officer-41", Role.PREVENT_OFFICER, ("E08000035",))
    async with outsider.http:
        text = await _decide(outsider, reference, GATEWAY)
        assert "govuk-error-summary" in text or "Case not found" in text
        assert (await outsider.get(f"/cases/{reference}?purpose=triage")).status_code == 404
    assert await pages.decisions(reference) == []


async def test_a_refusal_keeps_what_the_officer_typed(pages: Site, officer: Visitor) -> None:
    reference = await pages.refer()
    await _in_inbox(officer, reference)
    await _decide(officer, reference, GATEWAY)
    second = await visitor(pages, "officer-18", Role.PREVENT_OFFICER, (AREA,))
    async with second.http:
        typed = GATEWAY | {"reasons": "My own reasons, typed at length."}
        text = await _decide(second, reference, typed)
    assert "There is a problem" in text
    assert "My own reasons, typed at length." in text
    assert [d.actor_id for d in await pages.decisions(reference)] == ["officer-17"]


async def test_police_only_fields_are_shown_to_officers_only(pages: Site, officer: Visitor) -> None:
    reference = await pages.refer()
    await _in_inbox(officer, reference)
    await _decide(officer, reference, GATEWAY)
    secret = GATEWAY["database_checks"]
    seen = (await officer.get(f"/cases/{reference}?purpose=gateway-assessment")).text
    assert secret in seen and "Police only" in seen
    auditor = await visitor(pages, "auditor-01", Role.AUDITOR)
    async with auditor.http:
        page = (await auditor.get(f"/cases/{reference}?purpose=triage")).text
    assert reference in page and "Decisions" in page
    assert secret not in page and "Live counter-terrorism interest" not in page
    assert "Deconfliction" not in page


async def test_a_case_outside_your_own_work_asks_why_first(pages: Site, officer: Visitor) -> None:
    reference = await pages.refer()
    await _in_inbox(officer, reference)
    asked = await officer.get(f"/cases/{reference}")
    assert asked.status_code == 303 and asked.headers["location"].endswith("/reason")
    empty = await officer.post(f"/cases/{reference}/reason", {})
    assert empty.status_code == 400 and "Select why you are opening this case" in empty.text
    given = await officer.post(
        f"/cases/{reference}/reason", {"purpose": "other", "other_reason": "Court order review"}
    )
    assert given.status_code == 303
    opened = await officer.get(given.headers["location"])
    assert opened.status_code == 200 and reference in opened.text
    logged = await pages.pool.fetchval(
        "SELECT purpose FROM audit.access_log ORDER BY at DESC LIMIT 1"
    )
    assert logged == "other: Court order review"


async def test_sign_in_never_returns_to_another_site(pages: Site) -> None:
    for target in ("https://evil.example", "//evil.example", "/\\evil", None, ""):
        assert _local_path(target) == "/"
    assert _local_path("/tasks?page=2") == "/tasks?page=2"


async def test_a_claim_refused_by_the_api_shows_in_the_error_summary(
    pages: Site, officer: Visitor
) -> None:
    reference = await pages.refer()
    await _in_inbox(officer, reference)
    task_id = await pages.pool.fetchval(
        "SELECT id FROM assessment.tasks WHERE reference = $1", reference
    )
    assert (await officer.post(f"/tasks/{task_id}/claim", {})).status_code == 303
    second = await visitor(pages, "officer-18", Role.PREVENT_OFFICER, (AREA,))
    async with second.http:
        refused = await second.post(f"/tasks/{task_id}/claim", {"return_to": "/tasks"})
        assert refused.status_code == 303 and refused.headers["location"] == "/tasks"
        page = (await second.get("/tasks")).text
    assert "There is a problem" in page and "officer-17" in page


async def test_an_officer_gives_a_task_to_another_from_the_case_page(
    pages: Site, officer: Visitor
) -> None:
    reference = await pages.refer()
    await _in_inbox(officer, reference)
    path = f"/cases/{reference}?purpose=gateway-assessment"
    case = (await officer.get(path)).text
    action = re.search(r'action="(/tasks/[^/]+/assign)"', case)
    version = re.search(r'name="version" value="(\d+)"', case)
    assert action and version
    # Nobody has seen officer-18 yet: the service refuses, and the page says why.
    form = {"assignee": "officer-18", "version": version.group(1), "return_to": path}
    refused = await officer.post(action.group(1), form)
    assert refused.status_code == 303
    assert "not a known Prevent officer" in (await officer.get(path)).text

    second = await visitor(pages, "officer-18", Role.PREVENT_OFFICER, (AREA,))
    async with second.http:
        assert (await second.get("/tasks")).status_code == 200  # known from now on
    given = await officer.post(action.group(1), form)
    assert given.status_code == 303
    held = await pages.pool.fetchval(
        "SELECT assignee FROM assessment.tasks WHERE reference = $1", reference
    )
    assert held == "officer-18"

    # officer-18 holds it: officer-17's case page offers to take it over, which is recorded.
    case = (await officer.get(path)).text
    assert "Take over this task" in case and "officer-18 holds the gateway assessment task" in case
    version = re.search(r'name="version" value="(\d+)"', case)
    assert version
    taken = await officer.post(
        action.group(1), {"assignee": "officer-17", "version": version.group(1), "return_to": path}
    )
    assert taken.status_code == 303
    assert "You took over the task for" in (await officer.get(path)).text
    history = await pages.pool.fetch(
        "SELECT h.action, h.previous FROM assessment.task_history h"
        " JOIN assessment.tasks t ON t.id = h.task_id WHERE t.reference = $1 ORDER BY h.id",
        reference,
    )
    assert [tuple(h.values()) for h in history][-1] == ("take_over", "officer-18")


async def test_assets_are_compressed_and_cached_but_pages_are_not_compressed(
    pages: Site, officer: Visitor
) -> None:
    gzip = {"accept-encoding": "gzip"}
    page = await officer.http.get("/tasks", headers=gzip)
    assert "content-encoding" not in page.headers  # the CSRF token must not meet gzip (BREACH)
    css = re.search(r'href="(/static/govuk/[^"]+\.css)"', page.text)
    assert css
    styles = await officer.http.get(css.group(1), headers=gzip)
    assert styles.headers["content-encoding"] == "gzip"
    font = re.search(r"url\((/assets/fonts/[^)]+\.woff2)\)", styles.text)
    assert font
    fetched = await officer.http.get(font.group(1))
    assert fetched.status_code == 200 and "immutable" in fetched.headers["cache-control"]
    crest = await officer.http.get("/assets/images/govuk-crest.svg")
    assert crest.headers["cache-control"] == "public, max-age=86400"


async def test_ended_sessions_are_purged(pages: Site, officer: Visitor) -> None:
    await pages.pool.execute("UPDATE web.sessions SET last_seen_at = now() - interval '2 hours'")
    store = SessionStore(pages.pool, pages.settings.web)
    assert await store.purge_expired() == 1
    assert await pages.pool.fetchval("SELECT count(*) FROM web.sessions") == 0
    assert (await officer.get("/tasks")).status_code == 303
