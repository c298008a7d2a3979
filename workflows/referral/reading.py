"""What a case view shows of the workflow's side of a case: its status and decisions.

The status comes from the service's read model, projected from the case's events, while that
holds the latest event the workflow recorded (`messaging.case_sequences`); the decisions' count
rides with it, so a case without decisions needs nothing more. Decisions themselves carry free
text and the actors' identities, which never travel in events: they are asked of the workflow,
as is everything when the read model is behind the case or the caller asks for it (`fresh`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from temporalio.client import Client

from safeguard.case_updates import run_query
from safeguard.errors import ProblemError
from safeguard.events.contracts import CaseStanding
from workflows.referral.models import CaseStatus
from workflows.referral.standing import status_from
from workflows.referral.state import DecisionRecord
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

# The case views' `fresh` query parameter, as OpenAPI describes it.
FRESH = (
    "Ask the case workflow for the status and decisions even when the read model holds the"
    " latest of the case's events (it is asked anyway when the read model is behind)."
    " Without it a case view still answers while the workflow engine is down."
)

# Said of a status the read model gave because the workflow could not be asked.
MAYBE_BEHIND = "the status shown is the read model's, which may be behind the case"


@dataclass(frozen=True)
class Projection:
    """What a read model holds of a case's status, and whether it is the latest recorded."""

    status: CaseStatus | None
    current: bool


@dataclass(frozen=True)
class CaseReading:
    """The case's status and decisions; `gaps` says why either is missing (or may be old)."""

    status: CaseStatus | None
    decisions: list[DecisionRecord] | None
    gaps: dict[str, str] = field(default_factory=dict)


def projection_of(row: Mapping[str, Any] | asyncpg.Record) -> Projection:
    """The projection in a read-model row (`standing`, `standing_sequence`) beside the
    newest sequence recorded for the case (`recorded_sequence`)."""
    standing = row["standing"]
    if standing is None:
        return Projection(None, current=False)
    status = status_from(CaseStanding.model_validate(standing), row["reference"])
    recorded = row["recorded_sequence"]
    return Projection(status, current=recorded is not None and recorded == row["standing_sequence"])


async def read_case(
    temporal: Client, reference: str, projected: Projection, *, fresh: bool = False
) -> CaseReading:
    """The status from the read model when it is current (and not `fresh`), else from the
    workflow; an outage becomes a gap, so a view still shows the rest."""
    status = projected.status
    if fresh or not projected.current or status is None:
        return await _asked(temporal, reference, status)
    if status.decisions == 0:
        return CaseReading(status, [])
    try:
        decisions = await run_query(
            temporal, workflow_id_for(reference), ReferralWorkflow.decisions
        )
    except ProblemError as error:
        return CaseReading(status, None, {"decisions": _gap(error)})
    return CaseReading(status, decisions)


async def _asked(temporal: Client, reference: str, projected: CaseStatus | None) -> CaseReading:
    """Both queries at once; without an answer, the read model's status if it has one."""
    workflow_id = workflow_id_for(reference)
    try:
        status, decisions = await asyncio.gather(
            run_query(temporal, workflow_id, ReferralWorkflow.status),
            run_query(temporal, workflow_id, ReferralWorkflow.decisions),
        )
    except ProblemError as error:
        gap = _gap(error)
        said = gap if projected is None else f"{gap}: {MAYBE_BEHIND}"
        return CaseReading(projected, None, {"status": said, "decisions": gap})
    return CaseReading(status, decisions)


def _gap(error: ProblemError) -> str:
    # An outage's title is the generic "Service unavailable"; the gap names what is out.
    return "Case engine unavailable" if error.problem.status == 503 else error.problem.title
