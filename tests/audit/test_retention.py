"""Histories outlive Temporal's retention run by run, and a run lost before it was archived is
never silently missing.

Each test runs on a Temporal server of its own whose namespace deletes an ended run seconds
after it ended (tests/audit/short_retention.py), with cases that continue as new after every
step, so a run really is deleted by Temporal while its case is still open.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from safeguard.settings import Settings
from tests.audit.conftest import Audit, running_audit
from tests.audit.short_retention import end_first_run, gone, short_retention
from tests.helpers import assert_eventually

RETENTION = timedelta(seconds=6)


@asynccontextmanager
async def _audit(settings: Settings, tmp_path: Path, sweep_seconds: float) -> AsyncIterator[Audit]:
    swept = settings.model_copy(update={"audit_sweep_seconds": sweep_seconds})
    async with (
        short_retention(RETENTION) as env,
        running_audit(swept, env.client, env, tmp_path) as audit,
    ):
        yield audit


@pytest.fixture
async def sweeping(settings: Settings, tmp_path: Path) -> AsyncIterator[Audit]:
    """The audit service archiving ended runs every half second."""
    async with _audit(settings, tmp_path, 0.5) as audit:
        yield audit


@pytest.fixture
async def not_sweeping(settings: Settings, tmp_path: Path) -> AsyncIterator[Audit]:
    """The audit service sweeping once at its start only (as if it was down meanwhile)."""
    async with _audit(settings, tmp_path, 3_600) as audit:
        yield audit


async def _continued_case(audit: Audit) -> tuple[str, WorkflowHandle[Any, Any], str]:
    """A case whose first run has ended by continuing as new; its reference, handle, first run."""
    reference, handle = await audit.open_case(history_limit=1)
    await assert_eventually(lambda: _known(audit, reference))
    return reference, handle, await end_first_run(audit.temporal, handle)


async def _known(audit: Audit, reference: str) -> bool:
    async with audit.pool.acquire() as conn:
        return bool(
            await conn.fetchval("SELECT 1 FROM audit.cases WHERE reference = $1", reference)
        )


async def _logged(audit: Audit, reference: str) -> list[tuple[str, dict[str, Any]]]:
    """The case's audit-log entries (action, detail), oldest first."""
    async with audit.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT action, detail::text AS detail FROM audit.log_entries JOIN audit.cases"
            " USING (referral_id) WHERE reference = $1 ORDER BY id",
            reference,
        )
    return [(row["action"], json.loads(row["detail"])) for row in rows]


async def _lost_runs_metric(audit: Audit) -> float:
    text = (await audit.http.get(f"{audit.url}/metrics")).text
    found = re.search(r"^safeguard_audit_runs_lost_total (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def _read(audit: Audit, reference: str, what: str) -> Any:
    answer = await audit.http.get(
        f"{audit.url}/v1/cases/{reference}/{what}", headers=audit.headers()
    )
    assert answer.status_code == 200, answer.text
    return answer


async def test_a_continued_run_is_archived_before_temporal_deletes_it(sweeping: Audit) -> None:
    audit = sweeping
    reference, handle, first = await _continued_case(audit)
    await assert_eventually(lambda: audit.archived_runs(reference), lambda n: n >= 1)
    await assert_eventually(lambda: gone(audit.temporal, handle.id, first), within=60, interval=0.5)

    # The open case reads whole: its first run from the archive, the current one from Temporal.
    timeline = await _read(audit, reference, "timeline")
    assert timeline.headers["x-history-source"] == "archive+temporal"
    assert "x-history-missing-runs" not in timeline.headers
    actions = [entry["action"] for entry in timeline.json()]
    assert "transfer_case" in actions  # decided in the deleted run
    replay = (await _read(audit, reference, "replay")).json()
    assert replay["missing_runs"] == []
    assert replay["deterministic"] and len(replay["runs"]) == 2

    # Its closure archives the rest, as before; no run was lost.
    await audit.close_with_no_further_action(audit.temporal.get_workflow_handle(handle.id))
    logged = await assert_eventually(
        lambda: _logged(audit, reference),
        lambda entries: any(d.get("trigger") == "closure" for _, d in entries),
    )
    triggers = {detail["trigger"] for action, detail in logged if action == "history.archived"}
    assert triggers == {"sweep", "closure"}
    assert "history.run_lost" not in [action for action, _ in logged]


async def test_a_run_deleted_before_it_was_archived_is_reported(
    not_sweeping: Audit, caplog: pytest.LogCaptureFixture
) -> None:
    audit = not_sweeping
    caplog.set_level(logging.WARNING)
    reference, handle, first = await _continued_case(audit)
    await assert_eventually(lambda: gone(audit.temporal, handle.id, first), within=60, interval=0.5)
    lost_before = await _lost_runs_metric(audit)

    # Auditors are told, whichever way they read the case.
    timeline = await _read(audit, reference, "timeline")
    assert timeline.headers["x-history-missing-runs"] == first
    assert "transfer_case" not in [entry["action"] for entry in timeline.json()]
    assert (await _read(audit, reference, "history")).json()["missing_runs"] == [first]
    assert (await _read(audit, reference, "replay")).json()["missing_runs"] == [first]
    code, out, err = await audit.console(
        "audit", "timeline", reference, "--token", audit.token(), "--purpose", "annual audit"
    )
    assert code == 1, err  # the timeline is printed, and the command fails
    assert "Family moved" not in out and f"runs {first} are in neither" in err

    # The archiver, archiving what is left at closure, records the gap: log, metric, audit log.
    await audit.close_with_no_further_action(audit.temporal.get_workflow_handle(handle.id))
    logged = await assert_eventually(
        lambda: _logged(audit, reference),
        lambda entries: "history.run_lost" in [action for action, _ in entries],
    )
    [lost] = [detail for action, detail in logged if action == "history.run_lost"]
    assert lost == {"workflow_id": handle.id, "run_id": first, "trigger": "closure"}
    assert await _lost_runs_metric(audit) == lost_before + 1
    found = [(r.name, r.levelno) for r in caplog.records if first in r.getMessage()]
    assert ("safeguard.audit.casebook", logging.WARNING) in found  # each incomplete read
    assert [level for name, level in found if name == "safeguard.audit.runs"] == [logging.ERROR]

    # Read from the archive now, the case is still said to be incomplete.
    timeline = await _read(audit, reference, "timeline")
    assert timeline.headers["x-history-source"] in {"archive", "archive+temporal"}
    assert timeline.headers["x-history-missing-runs"] == first
