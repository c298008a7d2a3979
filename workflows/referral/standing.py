"""Where a case stands: the `status` query's answer, and the same carried on its events."""

from __future__ import annotations

from safeguard.events import contracts as ev
from workflows.referral import rules
from workflows.referral.models import CaseStatus, PendingTransferView


def case_status(ctx: rules.Context, reference: str) -> CaseStatus:
    """Current stage, due dates and the actions the stage allows (as of `ctx.now`)."""
    state = ctx.state
    pending = state.pending_transfer
    return CaseStatus(
        reference=reference,
        stage=state.stage,
        area=state.area,
        consent_policy=ctx.policy,
        closure_reason=state.closure_reason,
        due=state.due_dates(),
        allowed_actions=rules.allowed_actions(ctx),
        plan_revision=len(state.plan),
        decisions=len(state.decisions),
        pending_transfer=None
        if pending is None
        else PendingTransferView(
            to_area=pending.to_area,
            requested_at=pending.requested_at,
            requested_role=pending.requested_role,
        ),
        post_exit_reviews=rules.post_exit_review_windows(ctx),
    )


def standing(status: CaseStatus) -> ev.CaseStanding:
    """The status as events carry it (the reference is the event's own)."""
    return ev.CaseStanding.model_validate(status.model_dump(exclude={"reference"}))


def status_from(standing: ev.CaseStanding, reference: str) -> CaseStatus:
    """The status a read model shows from the standing it projected."""
    return CaseStatus.model_validate(standing.model_dump() | {"reference": reference})
