"""Valid update inputs, so each test states only what matters to it."""

from __future__ import annotations

import datetime as dt

from safeguard.codes import (
    ConsentDecision,
    ConsentRoute,
    DecisionBasis,
    ExitReason,
    GatewayOutcome,
    InterventionType,
    ReviewDecision,
    SignpostService,
)
from tests.workflow.conftest import CHAIR, OFFICER
from workflows.referral import actions as a


def gateway(outcome: GatewayOutcome, **extra: object) -> a.GatewayAssessmentInput:
    """A gateway assessment with the given outcome."""
    signpost = SignpostService.EARLY_HELP if outcome is GatewayOutcome.SIGNPOSTED else None
    return a.GatewayAssessmentInput.model_validate(
        {
            "actor": OFFICER,
            "outcome": outcome,
            "reasons": "Concerning online activity; vulnerable to grooming by a group.",
            "deconfliction": "no_live_interest",
            "database_checks": "PNC and local intelligence: nothing recorded.",
            "signposted_to": signpost,
        }
        | extra
    )


def plan(actor: a.Actor = CHAIR, items: int = 1) -> a.SupportPlanInput:
    """A support plan with `items` mentoring interventions."""
    return a.SupportPlanInput(
        actor=actor,
        interventions=[
            a.Intervention(
                type=InterventionType.IDEOLOGICAL_MENTORING,
                provider_id=f"provider-{n}",
                frequency="weekly",
                start=dt.date(2026, 12, 1),
            )
            for n in range(items)
        ],
    )


def adopt(**extra: object) -> a.PanelDecisionInput:
    """A unanimous adoption with a plan."""
    return a.PanelDecisionInput.model_validate(
        {
            "actor": CHAIR,
            "adopted": True,
            "basis": DecisionBasis.UNANIMOUS,
            "votes_for": 4,
            "votes_against": 0,
            "attendees": [
                {"id": "chair-3", "agency": "local_authority"},
                {"id": "police-2", "agency": "police"},
                {"id": "school-9", "agency": "education"},
                {"id": "health-4", "agency": "health"},
            ],
            "conflicts": [{"attendee_id": "school-9", "description": "Teaches the person."}],
            "reasons": "Vulnerable; support is proportionate.",
            "plan": plan(),
        }
        | extra
    )


def request_consent(route: ConsentRoute = ConsentRoute.GUARDIAN) -> a.ConsentRequestInput:
    """Ask for consent by letter."""
    return a.ConsentRequestInput(actor=CHAIR, route=route, method="letter")


def consent(decision: ConsentDecision = ConsentDecision.GIVEN) -> a.ConsentDecisionInput:
    """Record the answer."""
    return a.ConsentDecisionInput(actor=CHAIR, decision=decision)


def review(decision: ReviewDecision, **extra: object) -> a.SupportReviewInput:
    """A support review (an exit's reason: vulnerability significantly lessened)."""
    reason = (
        {"code": ExitReason.VULNERABILITY_LESSENED} if decision is ReviewDecision.EXIT else None
    )
    return a.SupportReviewInput.model_validate(
        {"actor": CHAIR, "decision": decision, "notes": "Engaging well.", "exit_reason": reason}
        | extra
    )


def post_exit(months: int, *, concerns: bool = False) -> a.PostExitReviewInput:
    """A post-exit review."""
    return a.PostExitReviewInput(actor=CHAIR, months=months, concerns=concerns, notes="Checked.")
