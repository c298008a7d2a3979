"""A scripted set of referrals and their lifecycle events, for the dashboard's tests: seven
referrals received in 2024-25, every date chosen so the figures can be worked out by hand
(see tests/statistics/test_dashboard.py for the working)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from safeguard.codes import (
    ClosureReason,
    ConsentDecision,
    ConsentPolicy,
    ConsentRoute,
    DecisionBasis,
    GatewayOutcome,
    RefusalReassessment,
    ReviewDecision,
    Role,
    Stage,
)
from safeguard.events import contracts as ev

MANCHESTER, LEEDS = "E08000003", "E08000035"
Events = list[tuple[ev.DomainEvent, dt.datetime]]
OFFICER, CHAIR = Role.PREVENT_OFFICER, Role.CHANNEL_CHAIR


def day(text: str) -> dt.datetime:
    """09:00 UTC on a day (10:00 in summer in England)."""
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(9), dt.UTC)


class Case:
    """One scripted referral's events, in order."""

    def __init__(self, name: str, area: str, linked: list[uuid.UUID] | None = None) -> None:
        self.id = uuid.uuid4()
        self.base: dict[str, Any] = {
            "referral_id": self.id,
            "reference": f"PRV-{name}",
            "area": area,
        }
        self.linked = linked or []
        self.events: Events = []

    def add(self, kind: type[ev.DomainEvent], at: str, stage: Stage, **fields: Any) -> Case:
        self.events.append((kind(**self.base, stage=stage, **fields), day(at)))
        return self

    def submitted(self, at: str, due: str | None) -> Case:
        return self.add(
            ev.ReferralSubmitted,
            at,
            Stage.GATEWAY_ASSESSMENT,
            sector="education",
            concern_type="islamist",
            assessment_due_at=day(due) if due else None,
            linked_referral_ids=self.linked,
        )

    def assessed(self, at: str, outcome: GatewayOutcome, stage: Stage) -> Case:
        return self.add(
            ev.GatewayAssessmentRecorded, at, stage, actor_role=OFFICER, outcome=outcome
        )

    def consent_asked(self, at: str, expires: str) -> Case:
        return self.add(
            ev.ConsentRequested,
            at,
            Stage.CONSENT_PENDING,
            actor_role=CHAIR,
            route=ConsentRoute.PERSON,
            expires_at=day(expires),
        )

    def consent(
        self, at: str, decision: ConsentDecision, stage: Stage, again: str | None = None
    ) -> Case:
        return self.add(
            ev.ConsentRecorded,
            at,
            stage,
            decision=decision,
            reassessment_due_at=day(again) if again else None,
        )


def script() -> list[Case]:
    """A to G, as the test's working names them."""
    a = Case("A", MANCHESTER).submitted("2024-05-13", "2024-05-20")
    a.assessed("2024-05-15", GatewayOutcome.NO_FURTHER_ACTION, Stage.CLOSED)
    b = Case("B", MANCHESTER).submitted("2024-05-24", "2024-06-03")
    b.assessed("2024-06-04", GatewayOutcome.REFERRED_TO_CHANNEL, Stage.CONSENT_PENDING)
    b.consent_asked("2024-06-04", "2024-07-02")
    b.consent("2024-06-14", ConsentDecision.GIVEN, Stage.PANEL_CONSIDERATION)
    standing = ev.CaseStanding(
        stage=Stage.SUPPORT_ACTIVE,
        area=MANCHESTER,
        consent_policy=ConsentPolicy.BEFORE_PANEL,
        due={"support_review_due": day("2024-08-03")},
    )
    b.add(
        ev.PanelDecisionRecorded,
        "2024-07-04",
        Stage.SUPPORT_ACTIVE,
        actor_role=CHAIR,
        adopted=True,
        basis=DecisionBasis.UNANIMOUS,
        attendee_count=5,
        conflicts_declared=0,
        standing=standing,
    )
    b.add(
        ev.SupportReviewRecorded,
        "2024-08-01",
        Stage.SUPPORT_ACTIVE,
        actor_role=CHAIR,
        decision=ReviewDecision.CONTINUE,
        next_review_at=day("2024-08-31"),
    )
    b.add(ev.SupportReviewDue, "2024-08-31", Stage.SUPPORT_ACTIVE, due_at=day("2024-08-31"))
    b.add(
        ev.CaseExited,
        "2024-09-20",
        Stage.POST_EXIT_REVIEW,
        actor_role=CHAIR,
        exited_at=day("2024-09-20"),
        reviews=[
            ev.ReviewDate(months=6, due_at=day("2025-03-20")),
            ev.ReviewDate(months=12, due_at=day("2025-09-20")),
        ],
    )
    b.add(
        ev.SupportReviewRecorded,
        "2024-09-20",
        Stage.POST_EXIT_REVIEW,
        actor_role=CHAIR,
        decision=ReviewDecision.EXIT,
    )
    b.add(
        ev.PostExitReviewRecorded,
        "2025-03-10",
        Stage.POST_EXIT_REVIEW,
        actor_role=CHAIR,
        months=6,
        reopened=False,
        next_months=12,
        next_due_at=day("2025-09-20"),
    )
    c = Case("C", LEEDS, linked=[a.id]).submitted("2024-11-18", "2024-11-25")
    d = Case("D", LEEDS).submitted("2025-01-06", None)  # an older event: no due date
    d.assessed("2025-01-13", GatewayOutcome.REFERRED_TO_CHANNEL, Stage.CONSENT_PENDING)
    d.consent_asked("2025-01-13", "2025-02-10")
    d.consent("2025-02-10", ConsentDecision.NO_RESPONSE, Stage.CONSENT_REFUSED, "2025-05-11")
    e = Case("E", MANCHESTER).submitted("2024-10-01", "2024-10-08")
    e.assessed("2024-10-03", GatewayOutcome.POLICE_LED, Stage.POLICE_LED)
    e.add(ev.PoliceReviewDue, "2025-01-01", Stage.POLICE_LED, due_at=day("2025-01-01"))
    f = Case("F", MANCHESTER).submitted("2024-12-02", "2024-12-09")
    f.assessed("2024-12-04", GatewayOutcome.REFERRED_TO_CHANNEL, Stage.CONSENT_PENDING)
    f.consent_asked("2024-12-04", "2025-01-01")
    f.consent("2024-12-10", ConsentDecision.REFUSED, Stage.CONSENT_REFUSED, "2025-03-10")
    f.add(
        ev.ConsentReassessed,
        "2025-03-05",
        Stage.CLOSED,
        actor_role=CHAIR,
        decision=RefusalReassessment.CLOSE,
    )
    f.add(
        ev.CaseClosed,
        "2025-03-05",
        Stage.CLOSED,
        reason=ClosureReason.CONSENT_NOT_GIVEN,
        retain_until=day("2031-03-05"),
    )
    g = Case("G", MANCHESTER).submitted("2025-02-03", "2025-02-10")
    g.assessed("2025-02-05", GatewayOutcome.REFERRED_TO_CHANNEL, Stage.CONSENT_PENDING)
    g.consent_asked("2025-03-28", "2025-04-25")
    return [a, b, c, d, e, f, g]
