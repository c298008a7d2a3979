"""The panel's free text at rest: sealed in PostgreSQL's files, readable through the API, gone
with the case's key at erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from safeguard.codes import Stage
from safeguard.events.contracts import CaseRedacted
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.stack import Stack
from services.panel import records
from services.panel.events import handle_event
from services.panel.factors import FACTORS
from services.panel.sealing import SERVICE
from tests.at_rest import files_holding, flush_to_disk, marker
from tests.panel.conftest import Pipeline, serve_panel
from tests.panel.driver import plan


async def _write_everything(system: Pipeline, marks: dict[str, str]) -> tuple[str, str]:
    """One case through every record that holds free text, each carrying its marker."""
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/consent/answer",
        headers=system.staff.guardian(reference),
        json={"decision": "given", "scope": f"Mentoring, {marks['consent']}.", "method": "letter"},
    )
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    asked = await d.ok(
        "POST",
        f"/v1/cases/{reference}/information-requests",
        json={"agency": "health", "question": f"Is {marks['question']} known to CAMHS?"},
    )
    await d.ok(
        "POST", f"/v1/information-requests/{asked['id']}/reply", json={"reply": marks["reply"]}
    )
    factors = {name: {"rating": "low", "notes": marks["notes"]} for name in FACTORS}
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/vulnerability-assessments",
        json={"factors": factors, "summary": marks["summary"]},
    )
    conflict = {"attendee_id": "school-9", "reference": reference, "description": marks["conflict"]}
    meeting = await d.meeting(reference, conflicts=[conflict])
    await d.register("mentor-a")
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/decision",
        json={
            "meeting_id": meeting,
            "adopted": True,
            "basis": "unanimous",
            "votes_for": 4,
            "votes_against": 0,
            "reasons": f"Support for {marks['reasons']}.",
            "plan": plan("mentor-a"),
        },
    )
    view = await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    item = view["plan"][0]["items"][0]["item_id"]
    contact = {"held_on": "2026-12-08", "kind": "session", "attended": True}
    await d.ok(
        "POST",
        f"/v1/provider/items/{item}/contacts",
        headers=system.staff.provider("mentor-a"),
        json=contact | {"notes": marks["contact"]},
    )
    return reference, meeting


async def test_free_text_is_sealed_at_rest_and_erased_with_its_key(
    system: Pipeline, stack: Stack
) -> None:
    names = ("consent", "question", "reply", "notes", "summary", "conflict", "reasons", "contact")
    marks = {name: marker() for name in names}
    reference, meeting = await _write_everything(system, marks)
    d = system.driver
    # Staff still read every word through the API (decision reasons from the workflow).
    shown = str(await d.case(reference)) + str(await d.ok("GET", f"/v1/meetings/{meeting}"))
    shown += str(await d.ok("GET", "/v1/provider/items", headers=system.staff.provider("mentor-a")))
    assert [name for name, mark in marks.items() if mark not in shown] == []

    await flush_to_disk(system.pool)
    found = await files_holding(stack, list(marks.values()))
    assert not found, f"panel free text in plain text: {found}"

    row = (await system.rows("SELECT * FROM panel.cases WHERE reference = $1", reference))[0]
    redacted = CaseRedacted(
        referral_id=row["referral_id"], reference=reference, stage=Stage.REDACTED, area=row["area"]
    )
    envelope = redacted.envelope(event_id=uuid.uuid4(), source="/tests", time=datetime.now(UTC))
    async with system.pool.acquire() as conn, conn.transaction():
        await handle_event(conn, envelope)
    [key] = await system.rows(
        "SELECT * FROM keyring.data_keys WHERE service = 'panel' AND owner = $1",
        row["referral_id"],
    )
    assert key["wrapped"] is None and key["destroyed_at"] is not None


async def test_text_stored_before_encryption_is_sealed_when_the_panel_starts(
    pipeline: Pipeline,
) -> None:
    """Rows as migration 0014 left them: `0x00 || text`, and steps with their detail in clear."""
    case, request = uuid.uuid4(), uuid.uuid4()
    question, scope = f"Is {marker()} known?", f"Mentoring, {marker()}."
    async with pipeline.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO panel.cases (referral_id, reference, area, stage, last_event_at)"
            " VALUES ($1, 'PRV-2020-000009', 'E08000003', 'PANEL_CONSIDERATION', now())",
            case,
        )
        await conn.execute(
            "INSERT INTO panel.information_requests (id, referral_id, agency, question,"
            " requested_by) VALUES ($1, $2, 'health', '\\x00'::bytea || convert_to($3, 'UTF8'),"
            " 'chair-1')",
            request,
            case,
            question,
        )
        await conn.execute(
            "INSERT INTO panel.case_actions (referral_id, action, actor, role, stage_after,"
            " plan_revision, detail) VALUES ($1, 'record_consent', 'chair-1', 'channel_chair',"
            " 'PANEL_CONSIDERATION', 0, $2)",
            case,
            {"decision": "given", "scope": scope},
        )
    async with serve_panel(pipeline.settings, pipeline.temporal):
        pass
    [stored] = await pipeline.rows("SELECT question FROM panel.information_requests")
    [step] = await pipeline.rows("SELECT detail, detail_sealed FROM panel.case_actions")
    assert stored["question"][0] == 1 and question.encode() not in stored["question"]
    assert step["detail"] == {"decision": "given"} and step["detail_sealed"] is not None
    async with (
        service_keyring(pipeline.settings, service=SERVICE) as keyring,
        pipeline.pool.acquire() as conn,
    ):
        [asked] = await records.requests_for_case(conn, keyring, case)
        [consent] = await records.actions_for_case(conn, keyring, case, ["record_consent"])
    assert asked["question"] == question and consent["detail"]["scope"] == scope
