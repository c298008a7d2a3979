"""What an auditor asks of a case: its history, its replay, its timeline (a window: `window`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from google.protobuf.json_format import MessageToDict
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter

from safeguard.audit import archive
from safeguard.audit.cases import AuditedCase, find_case
from safeguard.audit.payloads import decoded_history
from safeguard.audit.replaying import ReplayRuns, RunReplay
from safeguard.audit.timeline import TimelineEntry, timeline
from safeguard.db.pool import Connection
from safeguard.police_only import without_police_only

logger = logging.getLogger(__name__)
Source = Literal["archive", "temporal", "auto"]


class UnknownCaseError(LookupError):
    """No case with that reference is known to the audit store or to Temporal."""


@dataclass
class CaseHistory:
    """A case's runs and where they came from (`erased`: only the timeline is left).

    `missing_runs`: runs the history refers to (one of its runs continued from or as them) but
    does not hold: read from both sources (`auto`), runs neither the archive nor Temporal holds
    any more. Non-empty means the history is incomplete.
    """

    reference: str
    case: AuditedCase | None
    runs: list[WorkflowHistory]
    source: str
    missing_runs: list[str] = field(default_factory=list)


async def case_history(
    conn: Connection, client: Client, reference: str, *, source: Source = "auto"
) -> CaseHistory:
    """The case's runs: archived ones (they outlive retention) and Temporal's newer ones."""
    case = await find_case(conn, reference)
    if case is not None and case.erased_timeline is not None:
        return CaseHistory(reference, case, [], "erased")
    archived = []
    if case is not None and source != "temporal":
        archived = await archive.load_runs(conn, case.referral_id)
        if source == "archive" or _archive_reaches_the_end(case, archived):
            return _checked(CaseHistory(reference, case, archived, "archive"))
    ended = {run.run_id for run in archived if archive.is_closed(run)}
    workflow_id = case.workflow_id if case else f"referral-{reference}"
    fetched = await archive.fetch_runs(client, workflow_id, stop_at=ended)
    if not fetched and not archived and case is None:
        raise UnknownCaseError(reference)
    fresh = {run.run_id for run in fetched}
    kept = [run for run in archived if run.run_id not in fresh]  # Temporal's copy is newer
    runs = sorted(kept + fetched, key=lambda run: run.events[0].event_time.ToDatetime())
    origin = "archive+temporal" if kept and fetched else "archive" if kept else "temporal"
    return _checked(CaseHistory(reference, case, runs, origin))


def _archive_reaches_the_end(case: AuditedCase, runs: list[WorkflowHistory]) -> bool:
    """A closed case archived at its closure: its newest archived run did not continue."""
    return case.closed_at is not None and bool(runs) and archive.next_run_id(runs[-1]) is None


def _checked(history: CaseHistory) -> CaseHistory:
    """The history with the runs it lacks named, and logged: never silently partial."""
    history.missing_runs = archive.missing_runs(history.runs)
    if history.missing_runs:
        logger.warning(
            "history of %s is incomplete (from the %s): it refers to runs %s it does not hold",
            history.reference,
            history.source,
            ", ".join(history.missing_runs),
        )
    return history


async def decoded_runs(
    history: CaseHistory, converter: DataConverter, *, police_only: bool
) -> list[History]:
    """Each run with its payloads decrypted (auditors only), police-only fields if allowed."""
    assert converter.payload_codec is not None  # noqa: S101 - every converter here has one
    return [
        await decoded_history(
            History(events=run.events), converter.payload_codec, police_only=police_only
        )
        for run in history.runs
    ]


async def export(
    history: CaseHistory, converter: DataConverter, *, police_only: bool
) -> dict[str, Any]:
    """The decrypted history as Temporal's JSON, one document per run."""
    runs = await decoded_runs(history, converter, police_only=police_only)
    return {
        "reference": history.reference,
        "source": history.source,
        "missing_runs": history.missing_runs,
        "runs": [
            {"workflow_id": run.workflow_id, "run_id": run.run_id, "history": MessageToDict(proto)}
            for run, proto in zip(history.runs, runs, strict=True)
        ],
    }


async def case_timeline(
    history: CaseHistory, converter: DataConverter, *, police_only: bool, personal: frozenset[str]
) -> list[TimelineEntry]:
    """Who decided what, when and why, from the history alone (or the erased timeline)."""
    if history.source == "erased" and history.case and history.case.erased_timeline:
        entries = [TimelineEntry.model_validate(e) for e in history.case.erased_timeline]
    else:
        runs = await decoded_runs(history, converter, police_only=True)
        entries = timeline([list(proto.events) for proto in runs], personal)
    if police_only:
        return entries
    return [
        TimelineEntry.model_validate(without_police_only(e.model_dump(mode="json"))[0])
        for e in entries
    ]


async def replay_case(history: CaseHistory, replay: ReplayRuns) -> list[RunReplay]:
    """Replay each run of a case with `replay` (the current workflow code's replayer)."""
    return await replay(history.runs)
