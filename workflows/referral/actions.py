"""Inputs of the human steps (Temporal updates) of the referral workflow.

One input model per update, so each can gain defaulted fields without breaking histories
already recorded. Every update carries the acting person.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safeguard.codes import (
    ConsentDecision,
    ConsentRoute,
    DecisionBasis,
    ExitReason,
    GatewayOutcome,
    InterventionType,
    RefusalReassessment,
    ReviewDecision,
    Role,
    SignpostService,
)
from safeguard.personal import PERSONAL, NotPersonal, personal_names

# Free text: it may name people, so it is erased with the case (safeguard.personal).
Notes = Annotated[str, Field(min_length=1, max_length=5000), PERSONAL]
Ident = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")]
Reference = Annotated[str, Field(pattern=r"^PRV-\d{4}-\d{6}$")]


class Strict(BaseModel):
    """Unknown fields are rejected so a typo is never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Actor(Strict):
    """Who acts: an identity from the identity provider, the role they act in, and the areas
    their token covers (which side of a transfer they may answer for; empty in histories
    recorded before areas were passed)."""

    id: Ident
    role: Role
    areas: tuple[Ident, ...] = ()


class ActionInput(Strict):
    """Base of every update input."""

    actor: Actor


class GatewayAssessmentInput(ActionInput):
    """The police gateway assessment; deconfliction and checks are police-only fields."""

    outcome: GatewayOutcome
    reasons: Notes
    deconfliction: Literal["no_live_interest", "live_interest"]
    database_checks: Notes
    signposted_to: SignpostService | None = None

    @model_validator(mode="after")
    def _signpost_named(self) -> GatewayAssessmentInput:
        if (self.outcome == GatewayOutcome.SIGNPOSTED) != (self.signposted_to is not None):
            raise ValueError("signposted_to is required for SIGNPOSTED and only for it")
        return self


class ChannelReferralInput(ActionInput):
    """The local authority refers the case to Channel (CTSA s.36 as amended in 2019): the
    outcome of the gateway without the police-only fields."""

    reasons: Notes


class PoliceReviewInput(ActionInput):
    """A periodic review of a police-led case."""

    decision: Literal["continue", "close", "refer_to_channel"]
    notes: Notes


class NewInformationInput(ActionInput):
    """New information that sends the case back to gateway assessment."""

    summary: Notes


class ConsentRequestInput(ActionInput):
    """Consent is asked: of the person (18+), a parent or guardian, or via best interests."""

    route: ConsentRoute
    method: Literal["in_person", "letter", "email", "phone"]
    best_interests_reason: Notes | None = None

    @model_validator(mode="after")
    def _reason_for_best_interests(self) -> ConsentRequestInput:
        if (self.route == ConsentRoute.BEST_INTERESTS) != (self.best_interests_reason is not None):
            raise ValueError("best_interests_reason is required for the best-interests route only")
        return self


class ConsentDecisionInput(ActionInput):
    """The answer to a consent request, how it came and who gave it.

    Method and giver are context for the history (the workflow decides on the answer alone);
    they default to None so histories recorded without them still decode. The giver is a
    relation, never a name.
    """

    decision: Literal[ConsentDecision.GIVEN, ConsentDecision.REFUSED]
    scope: Notes | None = None
    method: Literal["in_person", "letter", "email", "phone", "portal"] | None = None
    answered_by: Literal["person", "parent_or_guardian"] | None = None


class WithdrawConsentInput(ActionInput):
    """Consent withdrawn: support stops."""

    notes: Notes | None = None


class ReassessmentPeriodInput(ActionInput):
    """The panel's choice of when a case without consent is reassessed: `days` after consent
    was not given (the deployment's `consent_reassessment_days` applies until it chooses)."""

    days: int = Field(ge=1, le=730)


class RefusalReassessmentInput(ActionInput):
    """The panel's reassessment of a case whose consent was not given."""

    decision: RefusalReassessment
    signposted_to: SignpostService | None = None
    notes: Notes


class Attendee(Strict):
    """A panel attendee and the agency they represent."""

    id: Ident
    agency: Annotated[
        str, Field(min_length=1, max_length=100), NotPersonal("the agency's name, not a person's")
    ]


class Conflict(Strict):
    """A declared conflict of interest: on the case decided (`reference`) or the whole meeting
    (None, as in histories recorded before conflicts named their case)."""

    attendee_id: Ident
    description: Notes
    reference: Reference | None = None


class Intervention(Strict):
    """One support plan item: what, by whom, how often, when."""

    type: InterventionType
    provider_id: Ident
    frequency: Literal["weekly", "fortnightly", "monthly", "as_needed"]
    start: dt.date
    end: dt.date | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Intervention:
        if self.end is not None and self.end < self.start:
            raise ValueError("an intervention cannot end before it starts")
        return self


class SupportPlanInput(ActionInput):
    """A support plan revision."""

    interventions: Annotated[list[Intervention], Field(min_length=1, max_length=30)]
    consent_arrangements: Notes | None = None


class PanelDecisionInput(ActionInput):
    """The Channel panel's decision on adopting the case."""

    adopted: bool
    basis: DecisionBasis
    votes_for: int = Field(ge=0)
    votes_against: int = Field(ge=0)
    attendees: Annotated[list[Attendee], Field(min_length=2, max_length=40)]
    conflicts: list[Conflict] = Field(default_factory=list, max_length=40)
    reasons: Notes
    plan: SupportPlanInput | None = None
    health_or_social_care_considered: bool = False
    # The meeting the decision was taken at (None only in histories recorded before it was).
    meeting_id: UUID | None = None


class ExitReasonInput(Strict):
    """Why support ended: a code, and free text (required for `other`) that stays with the
    case's records, never in events."""

    code: ExitReason
    notes: Notes | None = None


class SupportReviewInput(ActionInput):
    """A review of the active support plan.

    `exit_reason` is required for an exit (the rules check it); it defaults to None so
    histories recorded before exits had reasons still decode.
    """

    decision: ReviewDecision
    notes: Notes
    plan: SupportPlanInput | None = None
    exit_reason: ExitReasonInput | None = None


class PostExitReviewInput(ActionInput):
    """A 6- or 12-month review after exit."""

    months: int
    concerns: bool
    notes: Notes


class TransferInput(ActionInput):
    """Ask another area to take the case, history and all (it moves when that area accepts;
    in runs that transferred at once before acceptance existed, it still moves at once)."""

    to_area: Ident
    reason: Notes


class AcceptTransferInput(ActionInput):
    """The receiving area takes the case in."""


class DeclineTransferInput(ActionInput):
    """The receiving area will not take the case; it stays where it is."""

    reason: Notes


class WithdrawTransferInput(ActionInput):
    """The sending area no longer asks for the transfer."""

    reason: Notes | None = None


class SetAreaInput(ActionInput):
    """Place a case that has no area yet (triage) in an area; not a transfer."""

    area: Ident


def every_input() -> list[type[BaseModel]]:
    """Every update input, however deeply derived from `ActionInput`."""
    found: list[type[BaseModel]] = []
    waiting: list[type[BaseModel]] = [ActionInput]
    while waiting:
        model = waiting.pop()
        found.append(model)
        waiting += model.__subclasses__()
    return found


# The names of the free-text fields of every input, nested ones included: what the case's
# decisions, the panel's step records and the audit timeline drop when the case is erased.
PERSONAL_FIELDS = personal_names(*every_input())
