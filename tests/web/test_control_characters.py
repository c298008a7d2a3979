"""A NUL or another control character typed or pasted into a page: a GOV.UK error, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from safeguard.codes import Role
from tests.web.conftest import Site
from tests.web.staff import Visitor, visitor

AREA = "E08000003"
GATEWAY = {
    "deconfliction": "live_interest",
    "database_checks": "Checked the local intelligence system:\r\n\tone old entry.",
    "outcome": "NO_FURTHER_ACTION",
    "reasons": "Below the threshold.",
}


@pytest.fixture
async def officer(pages: Site) -> AsyncIterator[Visitor]:
    """Officer 17 of area E08000003, signed in."""
    person = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, (AREA,))
    yield person
    await person.http.aclose()


async def test_a_control_character_in_a_form_is_an_error_on_its_field(
    pages: Site, officer: Visitor
) -> None:
    reference = await pages.refer()
    base = f"/cases/{reference}/decisions/gateway-assessment"
    for typed in ("Below\x00 the threshold.", "Below\x1b the threshold."):
        answer = await officer.post(base, GATEWAY | {"reasons": typed})
        assert answer.status_code == 400, answer.text
        assert "There is a problem" in answer.text
        assert 'href="#reasons"' in answer.text
    # Line breaks and tabs are text: the form goes on to its check page.
    assert (await officer.post(base, GATEWAY)).status_code == 303
    asked = await officer.post(
        f"/cases/{reference}/reason", {"purpose": "other", "other_reason": "Court\x00 order"}
    )
    assert asked.status_code == 400 and 'href="#other_reason"' in asked.text


async def test_a_control_character_in_an_address_is_no_server_error(
    pages: Site, officer: Visitor
) -> None:
    auditor = await visitor(pages, "auditor-01", Role.AUDITOR)
    async with auditor.http:
        reason = "/audit/cases/PRV-2026-000001?purpose=other&reason=court%00order"
        answer = await auditor.get(reason)
        assert answer.status_code < 500, answer.status_code
    for path in (
        "/cases/PRV%00",
        "/cases/PRV-2026-000001?purpose=%00",
        "/cases/PRV-2026-000001?purpose=other&reason=court%00order",
        "/tasks?assignee=%01",
    ):
        answer = await officer.get(path)
        assert answer.status_code < 500, (path, answer.status_code)
