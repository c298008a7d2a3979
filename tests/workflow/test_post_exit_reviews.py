"""Post-exit reviews: held when they fall due (not at exit), at the months the policy sets."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from safeguard.codes import ClosureReason, ReviewDecision, Stage
from safeguard.policy import LifecyclePolicy
from tests.workflow import builders as b
from tests.workflow.conftest import Handle, Harness
from tests.workflow.test_channel import _into_support
from workflows.referral.models import CaseStatus
from workflows.referral.workflows import ReferralWorkflow


async def _exited(harness: Harness, policy: LifecyclePolicy) -> Handle:
    case = await _into_support(harness, policy)
    exit_review = b.review(ReviewDecision.EXIT)
    status = await case.execute_update(ReferralWorkflow.record_support_review, exit_review)
    assert status.stage is Stage.POST_EXIT_REVIEW
    return case


async def _refused(case: Handle, months: int) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(months))
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_a_review_is_refused_until_its_window_before_the_due_date(harness: Harness) -> None:
    case = await _exited(harness, LifecyclePolicy(post_exit_review_window_days=28))
    status = await harness.status(case)
    assert "record_post_exit_review" not in status.allowed_actions
    # The status says when each review falls due and from when it may be recorded.
    assert [(r.months, r.open) for r in status.post_exit_reviews] == [(6, False), (12, False)]
    assert all(r.due_at - r.opens_at == dt.timedelta(days=28) for r in status.post_exit_reviews)
    refused = await _refused(case, 6)  # seconds after exit
    assert (refused.type, refused.details) == ("Conflict", ({"stage": "POST_EXIT_REVIEW"},))
    assert "6-month post-exit review may be recorded from" in refused.message

    # Six months is 181 to 184 days: 160 days on, the 28-day window before it is open.
    await harness.advance(case, 160)
    held = await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(6))
    assert held.stage is Stage.POST_EXIT_REVIEW
    assert [(r.months, r.open) for r in held.post_exit_reviews] == [(12, False)]
    refused = await _refused(case, 12)  # its window opens in about five months
    assert refused.type == "Conflict" and "12-month" in refused.message


async def test_other_months_in_the_policy_are_scheduled_recorded_and_close_the_case(
    harness: Harness,
) -> None:
    policy = LifecyclePolicy(post_exit_review_months=(3, 9, 24), post_exit_review_window_days=7)
    case = await _exited(harness, policy)
    status = await harness.status(case)
    assert {
        "post_exit_review_due_3m",
        "post_exit_review_due_9m",
        "post_exit_review_due_24m",
    } <= set(status.due)
    [exited] = harness.payloads(case, "case.exited")
    assert [review["months"] for review in exited["reviews"]] == [3, 9, 24]
    assert [r.months for r in status.post_exit_reviews] == [3, 9, 24]
    assert exited["review_6_months_at"] is None and exited["review_12_months_at"] is None
    refused = await _refused(case, 6)
    assert refused.type == "Conflict"

    status = await _review_when_due(harness, case, 3, days=95)
    assert status.stage is Stage.POST_EXIT_REVIEW
    [recorded] = harness.payloads(case, "post_exit_review.recorded")
    assert recorded["next_months"] == 9
    exited_at = dt.datetime.fromisoformat(exited["exited_at"])
    assert dt.datetime.fromisoformat(recorded["next_due_at"]) > exited_at + dt.timedelta(days=270)
    await _review_when_due(harness, case, 9, days=190)
    status = await _review_when_due(harness, case, 24, days=460)
    assert (status.stage, status.closure_reason) == (
        Stage.CLOSED,
        ClosureReason.SUPPORT_COMPLETED,
    )
    assert status.post_exit_reviews == []
    assert [p["months"] for p in harness.payloads(case, "post_exit_review.due")] == [3, 9, 24]


async def _review_when_due(harness: Harness, case: Handle, months: int, *, days: int) -> CaseStatus:
    await harness.advance(case, days)
    await harness.wait_for_event(case, "post_exit_review.due", count=[3, 9, 24].index(months) + 1)
    # Due now, so open; the next is not (the status is as of the case's last activity, here
    # the review falling due).
    status = await harness.status(case)
    assert [(r.months, r.open) for r in status.post_exit_reviews][:2] == [
        (months, True),
        *[(later, False) for later in (9, 24) if later > months][:1],
    ]
    return await case.execute_update(ReferralWorkflow.record_post_exit_review, b.post_exit(months))
