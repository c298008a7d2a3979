"""The auditor's part of a journey: a closed case's whole timeline, who read it, the log
verified, and one read proven to be in the signed log, over HTTP only."""

from __future__ import annotations

from typing import Any

from safeguard.audit.log import proofcheck
from tests.helpers import assert_eventually
from tests.journeys.conftest import Journey

# Each step of the journey, and where the timeline must find it.
FROM_HISTORY = {
    "referral received",
    "record_gateway_assessment",
    "request_consent",
    "record_consent",
    "record_panel_decision",
    "record_support_review",
    "record_post_exit_review",
}
FROM_AUDIT_LOG = {
    "panel.meeting_created",
    "panel.attendance_recorded",
    "panel.information_requested",
    "panel.information_replied",
    "panel.vulnerability_assessed",
    "panel.provider_contact_recorded",
}


async def audit_the_case(j: Journey, reference: str) -> None:
    """What an auditor checks once the case has closed."""
    auditor = j.staff.auditor()
    timeline = await _get(j, f"/v1/cases/{reference}/timeline", auditor)
    _every_step_in_order(timeline)
    reads = await _reads(j, reference, auditor)
    await _verified(j, auditor)
    await _one_read_proven(j, reads, auditor)


async def _get(j: Journey, path: str, headers: dict[str, str]) -> Any:
    answer = await j.http.get(f"{j.audit}{path}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _every_step_in_order(timeline: list[dict[str, Any]]) -> None:
    found = {(e["source"], e["action"]) for e in timeline}
    assert {("history", a) for a in FROM_HISTORY} <= found, sorted(found)
    assert {("audit_log", a) for a in FROM_AUDIT_LOG} <= found, sorted(found)
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    human = [e for e in timeline if e["kind"] == "decision" or e["source"] == "audit_log"]
    assert all(e["actor_id"] and e["actor_role"] for e in human), human
    opened = next(e for e in timeline if e["kind"] == "opened")
    assert opened["detail"]["agency"]  # the submitting agency
    decision = next(e for e in timeline if e["action"] == "record_panel_decision")
    assert decision["detail"]["meeting_id"] and decision["detail"]["conflicts"]
    consent = next(e for e in timeline if e["action"] == "request_consent")
    assert consent["detail"]["method"] == "letter"


async def _reads(j: Journey, reference: str, auditor: dict[str, str]) -> list[dict[str, Any]]:
    page = await _get(j, f"/v1/cases/{reference}/reads?limit=200", auditor)
    services = {r["service"] for r in page["items"]}
    assert {"panel", "intake", "audit"} <= services, services
    # Intake's internal API is read by other services under their own client, role `service`.
    assert any(r["service"] == "intake" and r["role"] == "service" for r in page["items"])
    assert all(r["purpose"] and r["fields"] for r in page["items"])
    items: list[dict[str, Any]] = page["items"]
    return items


async def _verified(j: Journey, auditor: dict[str, str]) -> None:
    async def checked() -> dict[str, Any]:
        result: dict[str, Any] = await _get(j, "/v1/log/verification", auditor)
        return result

    result = await assert_eventually(checked, lambda r: r["intact"] and r["covered"] > 0)
    assert not result["findings"]


async def _one_read_proven(
    j: Journey, reads: list[dict[str, Any]], auditor: dict[str, str]
) -> None:
    chair = next(r for r in reads if r["service"] == "panel" and r["entry"] is not None)

    async def proof() -> dict[str, Any] | None:
        answer = await j.http.get(
            f"{j.audit}/v1/log/entries/{chair['entry']}/proof", headers=auditor
        )
        if answer.status_code == 409:  # numbered, not yet under a signed checkpoint
            return None
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    proven = await assert_eventually(proof)
    assert proven is not None
    entry = proven["entry"]
    assert entry["actor"] == chair["subject"] and "purpose" not in entry["detail"]
    assert chair["purpose_matches_log"] is True
    key = proofcheck.VerifierKey.parse((await _get(j, "/v1/log/key", auditor))["key"])
    assert proofcheck.check_inclusion(proven, key).startswith(f"entry {chair['entry']} is in")
