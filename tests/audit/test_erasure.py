"""Erasure: a redacted case keeps a timeline without free text; its histories go everywhere."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from temporalio.service import RPCError

from tests.audit.conftest import Audit
from tests.helpers import assert_eventually, personal_left


async def _erased(audit: Audit, reference: str) -> Any:
    async with audit.pool.acquire() as conn:
        return await conn.fetchval(
            "SELECT erased_timeline FROM audit.cases WHERE reference = $1", reference
        )


async def test_a_redacted_case_keeps_only_its_codes(audit: Audit) -> None:
    reference, handle = await audit.open_case()
    await audit.close_with_no_further_action(handle)
    await assert_eventually(lambda: audit.archived_runs(reference), lambda n: n == 1)

    # No further action: kept for three years, then redacted and the workflow ends.
    await audit.env.fast_forward(handle, dt.timedelta(days=3 * 366 + 2))
    kept = await assert_eventually(lambda: _erased(audit, reference), within=60)
    assert await audit.archived_runs(reference) == 0

    text = json.dumps(kept)
    assert "grooming" not in text and "PNC" not in text and "2011-04-02" not in text
    decision = next(entry for entry in kept if entry["kind"] == "decision")
    assert (decision["actor_id"], decision["detail"]["outcome"]) == (
        "officer-17",
        "NO_FURTHER_ACTION",
    )
    assert kept[-1]["events"] == ["case.redacted"]
    assert not personal_left(kept)

    timeline = await audit.http.get(
        f"{audit.url}/v1/cases/{reference}/timeline", headers=audit.headers()
    )
    assert [entry["action"] for entry in timeline.json()] == [e["action"] for e in kept]
    assert not personal_left(timeline.json())
    assert all(not entry["reasons"] for entry in timeline.json())
    replay = await audit.http.get(
        f"{audit.url}/v1/cases/{reference}/replay", headers=audit.headers()
    )
    assert replay.json()["source"] == "erased" and replay.json()["runs"] == []

    async with audit.pool.acquire() as conn:
        trail = await conn.fetch(
            "SELECT action FROM audit.log_entries c JOIN audit.cases USING (referral_id)"
            " WHERE reference = $1 ORDER BY seq",
            reference,
        )
    actions = [row["action"] for row in trail]
    assert actions[:3] == ["referral.submitted", "assessment.recorded", "case.closed"]
    assert actions.index("history.archived") < actions.index("history.erased")
    assert actions[-2:] == ["audit.read", "audit.read"]

    async def gone() -> bool:
        try:
            await handle.describe()
        except RPCError:
            return True
        return False

    await assert_eventually(gone, within=120, interval=1)
