"""Rejected updates: wrong stage, wrong role, wrong content; none leaves a trace in history."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from safeguard.codes import ConsentRoute, GatewayOutcome, Role
from tests.workflow import builders as b
from tests.workflow.conftest import ADULT_DOB, CHAIR, OFFICER, Handle, Harness
from workflows.referral import actions as a
from workflows.referral.workflows import ReferralWorkflow


async def _rejection(case: Handle, update: Any, inp: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.execute_update(update, inp)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def _update_events(case: Handle) -> int:
    history = await case.fetch_history()
    kinds = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
    }
    return sum(1 for event in history.events if event.event_type in kinds)


async def test_wrong_stage_is_rejected_with_the_current_stage(harness: Harness) -> None:
    case = await harness.start()
    error = await _rejection(case, ReferralWorkflow.record_panel_decision, b.adopt())
    assert error.type == "WrongStage"
    assert "not allowed in stage GATEWAY_ASSESSMENT" in error.message
    assert error.details == ({"stage": "GATEWAY_ASSESSMENT"},)
    assert await _update_events(case) == 0


async def test_wrong_role_is_rejected(harness: Harness) -> None:
    case = await harness.start()
    as_chair = b.gateway(GatewayOutcome.NO_FURTHER_ACTION, actor=CHAIR)
    error = await _rejection(case, ReferralWorkflow.record_gateway_assessment, as_chair)
    assert error.type == "NotPermitted"
    assert "channel_chair may not record_gateway_assessment" in error.message
    assert await _update_events(case) == 0


@pytest.mark.parametrize(
    ("dob", "route", "expected"),
    [
        (None, ConsentRoute.PERSON, None),
        (ADULT_DOB, ConsentRoute.GUARDIAN, "consent must be asked of the person"),
    ],
)
async def test_consent_route_follows_age_on_the_date_of_request(
    harness: Harness, dob: Any, route: ConsentRoute, expected: str | None
) -> None:
    case = await harness.start(dob=dob)
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    )
    request = b.request_consent(route)
    if expected is None:
        await case.execute_update(ReferralWorkflow.request_consent, request)
        return
    error = await _rejection(case, ReferralWorkflow.request_consent, request)
    assert (error.type, error.message) == (
        "InvalidContent",
        f"{expected} (age on the date of the request)",
    )


async def test_minor_needs_a_guardian_unless_best_interests(harness: Harness) -> None:
    case = await harness.start()
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    )
    error = await _rejection(
        case, ReferralWorkflow.request_consent, b.request_consent(ConsentRoute.PERSON)
    )
    assert "guardian" in error.message
    best_interests = a.ConsentRequestInput(
        actor=OFFICER,
        route=ConsentRoute.BEST_INTERESTS,
        method="in_person",
        best_interests_reason="Lacks capacity; assessed by the mental health team.",
    )
    await case.execute_update(ReferralWorkflow.request_consent, best_interests)


async def test_invalid_panel_decisions_are_rejected(harness: Harness) -> None:
    case = await harness.start(policy=None)
    await case.execute_update(
        ReferralWorkflow.record_gateway_assessment, b.gateway(GatewayOutcome.REFERRED_TO_CHANNEL)
    )
    await case.execute_update(ReferralWorkflow.request_consent, b.request_consent())
    await case.execute_update(ReferralWorkflow.record_consent, b.consent())
    bad = {
        "a conflict is declared by someone who did not attend": b.adopt(
            conflicts=[{"attendee_id": "stranger", "description": "x"}]
        ),
        "a tied vote is decided by the chair's casting vote": b.adopt(
            basis="majority", votes_for=2, votes_against=2
        ),
        "an adopted case needs a support plan": b.adopt(plan=None),
        "when not adopting, referral to health or social care must be considered": b.adopt(
            adopted=False, votes_for=0, votes_against=4, plan=None
        ),
    }
    for reason, decision in bad.items():
        error = await _rejection(case, ReferralWorkflow.record_panel_decision, decision)
        assert (error.type, error.message) == ("InvalidContent", reason)
    assert await _update_events(case) == 3


async def test_auditors_and_operators_change_nothing(harness: Harness) -> None:
    case = await harness.start()
    for role in (Role.AUDITOR, Role.OPERATOR, Role.PANEL_MEMBER, Role.PARTNER_REFERRER):
        actor = a.Actor(id="someone", role=role)
        error = await _rejection(
            case,
            ReferralWorkflow.record_gateway_assessment,
            b.gateway(GatewayOutcome.NO_FURTHER_ACTION, actor=actor),
        )
        assert error.type == "NotPermitted"
