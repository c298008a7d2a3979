"""Events are numbered per case in publishing order and carry the status after their step."""

from __future__ import annotations

import datetime as dt
import uuid

from safeguard.codes import GatewayOutcome, Role, Stage
from safeguard.events import contracts as ev
from safeguard.policy import LifecyclePolicy
from workflows.referral import actions as a
from workflows.referral import rules, transitions
from workflows.referral.standing import case_status, standing, status_from
from workflows.referral.state import CaseState

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def _case(state: CaseState, now: dt.datetime = NOW) -> transitions.Case:
    return transitions.Case(
        referral_id=uuid.UUID(int=7),
        reference="PRV-2026-000007",
        policy=LifecyclePolicy(),
        state=state,
        now=now,
        new_id=uuid.uuid4,
        date_of_birth=dt.date(2010, 3, 14),
    )


def test_events_are_numbered_across_steps_with_the_status_after_their_step() -> None:
    state = CaseState(area="E09000001")
    opened = _case(state)
    transitions.open_assessment(opened, reminder_at=NOW, due_at=NOW + dt.timedelta(days=5))
    opened.emit(ev.ReferralSubmitted, sector="education", concern_type="mixed")
    first = opened.published()

    later = NOW + dt.timedelta(hours=1)
    assessed = _case(state, later)
    transitions.record_gateway_assessment(
        assessed,
        a.GatewayAssessmentInput(
            actor=a.Actor(id="officer-17", role=Role.PREVENT_OFFICER),
            outcome=GatewayOutcome.NO_FURTHER_ACTION,
            reasons="Nothing further.",
            deconfliction="no_live_interest",
            database_checks="None.",
        ),
    )
    second = assessed.published()

    assert [e.sequence for e in first + second] == [1, 2, 3]
    # Closure is published last, and numbered so.
    assert [type(e) for e in second] == [ev.GatewayAssessmentRecorded, ev.CaseClosed]
    assert first[0].standing is not None and first[0].standing.stage is Stage.GATEWAY_ASSESSMENT
    assert "record_gateway_assessment" in first[0].standing.allowed_actions
    after = second[-1].standing
    assert after is not None and after.stage is Stage.CLOSED
    assert after == second[0].standing
    # What the events carry is the status the workflow's query answers at that moment.
    context = rules.Context(
        state=state,
        policy=LifecyclePolicy().consent_policy,
        date_of_birth=dt.date(2010, 3, 14),
        today=later.date(),
        lifecycle=LifecyclePolicy(),
        now=later,
    )
    status = case_status(context, "PRV-2026-000007")
    assert standing(status) == after
    assert status_from(after, "PRV-2026-000007") == status
    assert state.events_published == 3
