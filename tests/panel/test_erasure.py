"""When retention ends the panel's own records lose their free text and keep their codes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from safeguard.codes import Stage
from safeguard.events.contracts import CaseRedacted
from services.panel.events import handle_event
from services.panel.records import personal_columns
from tests.helpers import personal_left
from tests.panel.conftest import Pipeline
from tests.panel.driver import all_factors


async def test_redaction_erases_free_text_and_keeps_the_trail(system: Pipeline) -> None:
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.give_consent(reference)
    await d.ok(
        "POST",
        f"/v1/cases/{reference}/information-requests",
        json={"agency": "health", "question": "Is Sam known to CAMHS?"},
    )
    await d.ok(
        "POST", f"/v1/cases/{reference}/vulnerability-assessments", json={"factors": all_factors()}
    )
    row = (await system.rows("SELECT * FROM panel.cases WHERE reference = $1", reference))[0]
    redacted = CaseRedacted(
        referral_id=row["referral_id"], reference=reference, stage=Stage.REDACTED, area=row["area"]
    )
    envelope = redacted.envelope(event_id=uuid.uuid4(), source="/tests", time=datetime.now(UTC))
    async with system.pool.acquire() as conn, conn.transaction():
        await handle_event(conn, envelope)

    # Every column the panel's input models declare personal is empty, whichever table.
    case = row["referral_id"]
    for table, where, columns in personal_columns():
        query = f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"  # noqa: S608 - ours
        for erased in await system.rows(query, case):
            assert set(erased.values()) == {None}, (table, erased)
    steps = "SELECT detail, detail_sealed FROM panel.case_actions WHERE referral_id = $1"
    for step in await system.rows(steps, case):
        assert not personal_left(step["detail"]) and step["detail_sealed"] is None

    kept = []
    for query in (
        "SELECT question, reply FROM panel.information_requests",
        "SELECT summary FROM panel.vulnerability_assessments",
        "SELECT notes FROM panel.factor_ratings",
        "SELECT detail FROM panel.case_actions",
    ):
        kept += [str(row) for row in await system.rows(query)]
    text = " ".join(kept)
    for written in ("CAMHS", "Mentoring and education", "Discussed at panel"):
        assert written not in text
    consent = await d.call("GET", f"/v1/cases/{reference}/consent", headers=system.staff.auditor())
    assert [(c["event"], c["route"], c["method"]) for c in consent.json()] == [
        ("requested", "guardian", "letter"),
        ("given", "guardian", "letter"),
    ]
