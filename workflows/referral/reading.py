"""What the workflow says of a case now (status and decisions), for the services' case views."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio.client import Client

from safeguard.case_updates import run_query
from safeguard.errors import ProblemError
from workflows.referral.models import CaseStatus
from workflows.referral.state import DecisionRecord
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for


@dataclass(frozen=True)
class CaseReading:
    """The case's status and decisions, or why the workflow could not say (`gap`)."""

    status: CaseStatus | None
    decisions: list[DecisionRecord] | None
    gap: str | None = None


async def read_case(temporal: Client, reference: str) -> CaseReading:
    """Both queries at once; an outage becomes a gap, so a view still shows the rest."""
    workflow_id = workflow_id_for(reference)
    try:
        status, decisions = await asyncio.gather(
            run_query(temporal, workflow_id, ReferralWorkflow.status),
            run_query(temporal, workflow_id, ReferralWorkflow.decisions),
        )
    except ProblemError as error:
        # An outage's title is the generic "Service unavailable"; the gap names what is out.
        gap = "Case engine unavailable" if error.problem.status == 503 else error.problem.title
        return CaseReading(None, None, gap)
    return CaseReading(status, decisions)
