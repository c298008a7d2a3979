"""Cases no area owns yet (area `unassigned`): placing one in an officer's area.

Listing them is the inbox's query over the unassigned area (see `routes.list_triage`).
Placing is a `ReferralWorkflow` update like every decision; the checks here only turn the
common refusals into clear answers before Temporal is asked, and the workflow checks again.
"""

from __future__ import annotations

from temporalio.client import Client

from safeguard.auth.staff import StaffPrincipal
from safeguard.case_updates import run_query, run_update
from safeguard.codes import UNASSIGNED_AREA
from safeguard.errors import ProblemError
from services.assessment.access import actor_for, sees_area
from workflows.referral.actions import SetAreaInput
from workflows.referral.models import CaseStatus
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for


async def place_in_area(
    temporal: Client, *, principal: StaffPrincipal, reference: str, area: str
) -> CaseStatus:
    """Set the area of an unassigned case to one of the officer's own areas."""
    if area not in principal.areas:
        raise ProblemError(
            403,
            "Area not permitted",
            "Your token does not cover that area: place the case in one of your own areas.",
        )
    workflow_id = workflow_id_for(reference)
    status: CaseStatus = await run_query(temporal, workflow_id, ReferralWorkflow.status)
    if status.area != UNASSIGNED_AREA:
        raise _placed_already(principal, reference, status.area)
    action = SetAreaInput(actor=actor_for(principal), area=area)
    result: CaseStatus = await run_update(temporal, workflow_id, ReferralWorkflow.set_area, action)
    return result


def _placed_already(principal: StaffPrincipal, reference: str, area: str) -> ProblemError:
    # Another area's case is answered exactly like an unknown one, as everywhere else.
    if not sees_area(principal, area):
        return ProblemError(404, "Unknown case", "No case with that reference in your areas.")
    return ProblemError(
        409,
        "Area already set",
        "The case is already in an area (`area`); move it with /transfer instead.",
        area=area,
    )
