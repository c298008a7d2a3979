"""Auditors' pages over the real APIs: the audit log, a case's timeline, replay and who read it."""

from __future__ import annotations

import re

from safeguard.codes import Role
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


async def _decided_by_an_officer(pages: Site) -> str:
    """A referral decided by officer-17 through the officer's pages (no further action)."""
    reference = await pages.refer()
    officer = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, (AREA,))
    async with officer.http:

        async def listed() -> bool:
            return reference in (await officer.get("/tasks")).text

        await assert_eventually(listed, within=30)
        case = await officer.get(f"/cases/{reference}?purpose=gateway-assessment")
        assert case.status_code == 200
        base = f"/cases/{reference}/decisions/gateway-assessment"
        assert (await officer.post(base, GATEWAY)).status_code == 303
        assert (await officer.post(f"{base}/check", {})).status_code == 303
    assert [d.actor_id for d in await pages.decisions(reference)] == ["officer-17"]
    return reference


def _text(html: str) -> str:
    """The page's words, tags gone and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_an_auditor_reads_a_decided_case(pages: Site) -> None:
    reference = await _decided_by_an_officer(pages)
    auditor = await visitor(pages, "auditor-01", Role.AUDITOR)
    async with auditor.http:
        start = await auditor.get("/audit")
        assert start.status_code == 200
        words = _text(start.text)
        assert "Audit log" in words and "Waiting to be numbered" in words
        check = await auditor.get("/audit/log")
        assert check.status_code == 200
        assert "Verified" in _text(check.text) and "Nothing was changed" in _text(check.text)
        assert 'href="/audit"' in start.text  # the auditor's navigation

        found = await auditor.post(
            "/audit", {"reference": f" {reference.lower()} ", "purpose": "scheduled-audit"}
        )
        assert found.status_code == 303
        case_url = found.headers["location"]
        assert case_url == f"/audit/cases/{reference}?purpose=scheduled-audit"

        timeline = await auditor.get(case_url)
        assert timeline.status_code == 200
        words = _text(timeline.text)
        assert f"Case {reference}" in words
        assert "Record gateway assessment" in words and "Outcome: No further action" in words
        assert "officer-17" in words and "Prevent officer" in words
        assert "Gateway assessment to Closed" in words
        assert "Your purpose audit: scheduled audit" in words

        replay = await auditor.get(f"/audit/cases/{reference}/replay?purpose=scheduled-audit")
        assert replay.status_code == 200
        assert "Deterministic" in replay.text and "Not deterministic" not in replay.text

        reads_url = f"/audit/cases/{reference}/reads?purpose=scheduled-audit"

        async def officer_read_listed() -> str:
            return _text((await auditor.get(reads_url)).text)

        words = await assert_eventually(
            officer_read_listed, lambda text: "officer-17" in text, within=30, interval=1
        )
        assert "officer-17 Prevent officer gateway assessment" in words
        # The auditor's own reads are there too, with the purpose given on the audit page.
        assert "auditor-01 Auditor audit: scheduled audit" in words

    async with pages.pool.acquire() as conn:
        purposes = await conn.fetch(
            "SELECT DISTINCT purpose FROM audit.access_log WHERE subject = 'auditor-01'"
        )
    assert [row["purpose"] for row in purposes] == ["audit: scheduled audit"]


async def test_the_audit_pages_ask_why_and_explain_what_is_missing(pages: Site) -> None:
    auditor = await visitor(pages, "auditor-01", Role.AUDITOR)
    async with auditor.http:
        empty = await auditor.post("/audit", {})
        assert empty.status_code == 400
        assert "There is a problem" in empty.text
        assert 'href="#reference"' in empty.text and "Enter a case reference" in empty.text
        assert 'href="#purpose"' in empty.text
        other = await auditor.post(
            "/audit", {"reference": "PRV-2026-000001", "purpose": "other", "other_reason": ""}
        )
        assert "Enter the reason you are reading this case" in other.text
        assert 'value="PRV-2026-000001"' in other.text  # what was typed is kept

        no_purpose = await auditor.get("/audit/cases/PRV-2026-000001/reads")
        assert no_purpose.status_code == 303
        assert no_purpose.headers["location"] == "/audit?reference=PRV-2026-000001"
        asked = await auditor.get(no_purpose.headers["location"])
        assert 'value="PRV-2026-000001"' in asked.text

        unknown = await auditor.get("/audit/cases/PRV-2000-999999?purpose=other&reason=spot+check")
        assert unknown.status_code == 404 and "Case not found" in unknown.text
        refused = await auditor.post(
            "/audit", {"reference": "x", "purpose": "complaint"}, csrf=False
        )
        assert refused.status_code == 403


async def test_other_roles_are_refused_the_audit_pages(pages: Site) -> None:
    reference = await pages.refer()
    officer: Visitor = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, (AREA,))
    async with officer.http:
        for path in ("/audit", f"/audit/cases/{reference}?purpose=complaint"):
            answer = await officer.get(path)
            assert answer.status_code == 403, path
            assert "You cannot do this" in answer.text
        assert 'href="/audit"' not in (await officer.get("/tasks")).text
