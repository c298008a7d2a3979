"""An exit carries a coded reason: required for new exits, in the `case.exited` event (the code,
never its notes) and in the chronology in words; exits recorded before it read as unrecorded."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from safeguard.codes import ExitReason, ReviewDecision, Role, Stage
from safeguard.events.contracts import CaseExited
from safeguard.events.envelope import EventEnvelope
from tests.workflow import builders as b
from tests.workflow.conftest import Handle, Harness
from tests.workflow.test_channel import BEFORE, _into_support
from workflows.referral import actions as a
from workflows.referral.chronology import from_event
from workflows.referral.workflows import ReferralWorkflow

NOTES = "Moved abroad with the family."
AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


async def _refused(case: Handle, review: a.SupportReviewInput) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.execute_update(ReferralWorkflow.record_support_review, review)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


@pytest.mark.parametrize(
    ("decision", "exit_reason", "message"),
    [
        (ReviewDecision.EXIT, None, "an exit reason is required for 'exit'"),
        (ReviewDecision.CONTINUE, {"code": "vulnerability_removed"}, "only for it"),
        (ReviewDecision.EXIT, {"code": "other"}, "when the reason is 'other'"),
    ],
)
async def test_an_exit_needs_its_reason_and_only_an_exit_has_one(
    harness: Harness, decision: ReviewDecision, exit_reason: dict[str, Any] | None, message: str
) -> None:
    """Before: an exit was accepted with no reason at all."""
    case = await _into_support(harness, BEFORE)
    refused = await _refused(case, b.review(decision, exit_reason=exit_reason))
    assert refused.type == "InvalidContent" and message in refused.message
    assert (await harness.status(case)).stage is Stage.SUPPORT_ACTIVE
    assert "case.exited" not in harness.events(case)


async def test_the_exit_event_carries_the_code_and_never_the_notes(harness: Harness) -> None:
    case = await _into_support(harness, BEFORE)
    reason = {"code": "other", "notes": NOTES}
    status = await case.execute_update(
        ReferralWorkflow.record_support_review, b.review(ReviewDecision.EXIT, exit_reason=reason)
    )
    assert status.stage is Stage.POST_EXIT_REVIEW
    [exited] = harness.payloads(case, "case.exited")
    assert exited["exit_reason"] == "other"
    assert NOTES not in str(harness.payloads(case, "case.exited"))


def _exited(**data: Any) -> EventEnvelope:
    exited = CaseExited(
        referral_id=uuid.uuid4(),
        reference="PRV-2026-000001",
        stage=Stage.POST_EXIT_REVIEW,
        area="E08000003",
        actor_role=Role.CHANNEL_CHAIR,
        exited_at=AT,
        **data,
    )
    return exited.envelope(event_id=uuid.uuid4(), source="/workflows/referral", time=AT)


def test_the_chronology_says_why_support_ended() -> None:
    """Before: it said only "Support ended"."""
    entry = from_event(_exited(exit_reason=ExitReason.VULNERABILITY_LESSENED))
    assert entry.summary.startswith("Support ended (vulnerability significantly lessened);")
    old = _exited()
    old.data.pop("exit_reason")  # as events from before reasons were
    assert from_event(old).summary.startswith("Support ended (reason not recorded);")


def test_an_exit_recorded_before_reasons_still_decodes() -> None:
    """The update input of exits already in histories has no `exit_reason`."""
    old = {"actor": {"id": "chair-3", "role": "channel_chair"}, "decision": "exit", "notes": "x"}
    assert a.SupportReviewInput.model_validate(old).exit_reason is None
