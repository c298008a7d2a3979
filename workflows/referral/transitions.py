"""The lifecycle's transitions as plain functions of the case state.

They decide; the workflow supplies the time, persists nothing itself and publishes the
events they collect. Keeping them free of Temporal calls keeps them easy to read and test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from safeguard.calendar import add_months
from safeguard.codes import (
    ClosureReason,
    ConsentDecision,
    ConsentMethod,
    ConsentPolicy,
    GatewayOutcome,
    RefusalReassessment,
    ReviewDecision,
    Stage,
)
from safeguard.events import contracts as ev
from safeguard.personal import without_personal
from safeguard.policy import LifecyclePolicy
from workflows.referral import actions as a
from workflows.referral import rules
from workflows.referral.rules import pending_post_exit_reviews
from workflows.referral.standing import case_status, standing
from workflows.referral.state import (
    Alarm,
    AlarmKind,
    CaseState,
    PendingTransfer,
    PlanItem,
    PlanRevision,
)


@dataclass
class Case:
    """One transition's working set: the state, the clock and the events to publish."""

    referral_id: uuid.UUID
    reference: str
    policy: LifecyclePolicy
    state: CaseState
    now: dt.datetime
    new_id: Callable[[], uuid.UUID]
    events: list[ev.DomainEvent] = field(default_factory=list)
    closing: list[ev.DomainEvent] = field(default_factory=list)
    # Whose consent is asked depends on it, so the actions a stage allows do too.
    date_of_birth: dt.date | None = None

    def emit(self, event_type: type[ev.DomainEvent], **fields: Any) -> None:
        """Queue an event stamped with the case's ids, current stage and area."""
        self.events.append(
            event_type(
                referral_id=self.referral_id,
                reference=self.reference,
                stage=self.state.stage,
                area=self.state.area,
                **fields,
            )
        )

    def move(self, stage: Stage) -> None:
        """Enter a stage; the previous stage's alarms no longer apply."""
        self.state.stage = stage
        self.state.alarms = []
        self.touch()

    def touch(self) -> None:
        """Mark a change that keeps the stage."""
        self.state.epoch += 1

    def alarm(self, kind: AlarmKind, at: dt.datetime, months: int | None = None) -> None:
        """Schedule an alarm."""
        self.state.alarms.append(Alarm(kind=kind, at=at, months=months))

    def days(self, count: int) -> dt.datetime:
        """`count` calendar days from now."""
        return self.now + dt.timedelta(days=count)

    def published(self) -> list[ev.DomainEvent]:
        """Events in publishing order (closure last), each numbered in the case's sequence and
        carrying where the case stands now, so read models need not ask the workflow. Called
        once per step, under the workflow's emit lock: numbers follow the outbox's order."""
        events = self.events + self.closing
        if not events:
            return []
        now = standing(case_status(self._context(), self.reference))
        stamped = []
        for event in events:
            self.state.events_published += 1
            number = self.state.events_published
            stamped.append(event.model_copy(update={"sequence": number, "standing": now}))
        return stamped

    def _context(self) -> rules.Context:
        return rules.Context(
            state=self.state,
            policy=self.policy.consent_policy,
            date_of_birth=self.date_of_birth,
            today=self.now.date(),
            lifecycle=self.policy,
            now=self.now,
        )


# --- opening and assessment ---------------------------------------------------------------


def open_assessment(case: Case, *, reminder_at: dt.datetime, due_at: dt.datetime) -> None:
    """Enter gateway assessment with its reminder and escalation."""
    case.move(Stage.GATEWAY_ASSESSMENT)
    case.state.assessment_due_at = due_at
    case.alarm(AlarmKind.ASSESSMENT_REMINDER, reminder_at)
    case.alarm(AlarmKind.ASSESSMENT_OVERDUE, due_at)


def record_gateway_assessment(case: Case, inp: a.GatewayAssessmentInput) -> None:
    """Apply the police outcome."""
    outcome = inp.outcome
    closures = {
        GatewayOutcome.NO_FURTHER_ACTION: ClosureReason.NO_FURTHER_ACTION,
        GatewayOutcome.SIGNPOSTED: ClosureReason.SIGNPOSTED,
        GatewayOutcome.ESCALATED_TO_PURSUE: ClosureReason.ESCALATED_TO_PURSUE,
    }
    resume, case.state.resume_stage = case.state.resume_stage, None
    if resume is not None and outcome is GatewayOutcome.NO_FURTHER_ACTION:
        _resume(case, resume)
    elif outcome in closures:
        close(case, closures[outcome])
    elif outcome is GatewayOutcome.POLICE_LED:
        case.move(Stage.POLICE_LED)
        case.alarm(AlarmKind.POLICE_REVIEW_DUE, case.days(case.policy.police_review_days))
    else:
        _back_to_channel(case, resume)
    case.emit(
        ev.GatewayAssessmentRecorded,
        actor_role=inp.actor.role,
        outcome=outcome,
        signposted_to=inp.signposted_to,
    )


def _back_to_channel(case: Case, resume: Stage | None) -> None:
    if resume is not None:
        # Back to Channel on new information: the panel considers the case afresh.
        case.state.adopted = False
        case.state.consent_given = False
    enter_channel(case)


def refer_to_channel(case: Case, inp: a.ChannelReferralInput) -> None:
    """The local authority refers the case: the gateway's outcome, recorded as the police's is
    (one event, so every read model and inbox treats both alike). On new information during
    support or after exit it starts afresh, as the police's referral does. (No released
    version took this step, so no running case needs the old behaviour kept.)"""
    resume, case.state.resume_stage = case.state.resume_stage, None
    _back_to_channel(case, resume)
    case.emit(
        ev.GatewayAssessmentRecorded,
        actor_role=inp.actor.role,
        outcome=GatewayOutcome.REFERRED_TO_CHANNEL,
    )


def record_police_review(case: Case, inp: a.PoliceReviewInput) -> None:
    """Continue, close or refer a police-led case."""
    next_review = None
    if inp.decision == "continue":
        case.touch()
        case.state.alarms = []
        next_review = case.days(case.policy.police_review_days)
        case.alarm(AlarmKind.POLICE_REVIEW_DUE, next_review)
    elif inp.decision == "close":
        close(case, ClosureReason.POLICE_LED_CLOSED)
    else:
        enter_channel(case)
    case.emit(ev.PoliceReviewRecorded, actor_role=inp.actor.role, next_review_at=next_review)


def add_information(
    case: Case, inp: a.NewInformationInput, *, reminder_at: dt.datetime, due_at: dt.datetime
) -> None:
    """New information: the police reassess the case.

    During support or after exit the case keeps its consent, plan and review dates while the
    police reassess, and returns to them if they find no further action.
    """
    resumable = case.state.stage in (Stage.SUPPORT_ACTIVE, Stage.POST_EXIT_REVIEW)
    case.state.resume_stage = case.state.stage if resumable else None
    if not resumable:
        case.state.consent_route = None
        case.state.consent_given = False
    open_assessment(case, reminder_at=reminder_at, due_at=due_at)
    case.emit(ev.ReassessmentStarted, actor_role=inp.actor.role, assessment_due_at=due_at)


# --- consent ------------------------------------------------------------------------------


def enter_channel(case: Case) -> None:
    """Referred to Channel: consent first or the panel first, as the policy says."""
    if case.policy.consent_policy is ConsentPolicy.BEFORE_PANEL:
        _await_consent(case)
    else:
        case.move(Stage.PANEL_CONSIDERATION)


def _await_consent(case: Case) -> None:
    case.state.consent_route = None
    case.state.consent_given = False
    case.move(Stage.CONSENT_PENDING)


def request_consent(case: Case, inp: a.ConsentRequestInput) -> None:
    """Ask for consent; reminders and expiry start now."""
    expires = case.days(case.policy.consent_expiry_days)
    case.state.consent_route = inp.route
    case.state.consent_expires_at = expires
    case.state.consent_method = ConsentMethod(inp.method)
    case.touch()
    case.alarm(AlarmKind.CONSENT_REMINDER, case.days(case.policy.consent_reminder_days))
    case.alarm(AlarmKind.CONSENT_EXPIRY, expires)
    case.emit(
        ev.ConsentRequested,
        actor_role=inp.actor.role,
        route=inp.route,
        expires_at=expires,
        method=case.state.consent_method,
    )


def record_consent(case: Case, inp: a.ConsentDecisionInput) -> None:
    """Consent given moves the case on; refused stops it."""
    if inp.decision is ConsentDecision.REFUSED:
        consent_not_given(case, ConsentDecision.REFUSED, actor=inp.actor)
        return
    case.state.consent_given = True
    if case.state.adopted:
        _start_support(case)
    else:
        case.move(Stage.PANEL_CONSIDERATION)
    case.emit(
        ev.ConsentRecorded,
        decision=ConsentDecision.GIVEN,
        route=case.state.consent_route,
        actor_role=inp.actor.role,
    )


def consent_not_given(case: Case, decision: ConsentDecision, *, actor: a.Actor | None) -> None:
    """Refused, withdrawn or unanswered: no intervention; the panel reassesses later."""
    route = case.state.consent_route
    case.state.consent_given = False
    case.state.consent_not_given_at = case.now
    case.move(Stage.CONSENT_REFUSED)
    due = case.days(case.policy.consent_reassessment_days)
    case.alarm(AlarmKind.CONSENT_REASSESSMENT_DUE, due)
    case.emit(
        ev.ConsentRecorded,
        decision=decision,
        route=route,
        actor_role=actor.role if actor else None,
        reassessment_due_at=due,
    )


def withdraw_consent(case: Case, inp: a.WithdrawConsentInput) -> None:
    """Consent withdrawn: support stops."""
    consent_not_given(case, ConsentDecision.WITHDRAWN, actor=inp.actor)


def set_reassessment_period(case: Case, inp: a.ReassessmentPeriodInput) -> None:
    """The panel chooses when it reassesses: the reassessment alarm moves to its date."""
    start = case.state.consent_not_given_at or case.now
    due = start + dt.timedelta(days=inp.days)
    case.state.alarms = [
        alarm for alarm in case.state.alarms if alarm.kind is not AlarmKind.CONSENT_REASSESSMENT_DUE
    ]
    case.alarm(AlarmKind.CONSENT_REASSESSMENT_DUE, due)
    case.touch()
    case.emit(
        ev.ConsentReassessmentScheduled,
        actor_role=inp.actor.role,
        days=inp.days,
        reassessment_due_at=due,
    )


def reassess_after_refusal(case: Case, inp: a.RefusalReassessmentInput) -> None:
    """The panel's reassessment: ask again, signpost or close."""
    if inp.decision is RefusalReassessment.REQUEST_CONSENT_AGAIN:
        _await_consent(case)
    elif inp.decision is RefusalReassessment.SIGNPOST:
        close(case, ClosureReason.SIGNPOSTED)
    else:
        close(case, ClosureReason.CONSENT_NOT_GIVEN)
    case.emit(ev.ConsentReassessed, actor_role=inp.actor.role, decision=inp.decision)


# --- panel and support --------------------------------------------------------------------


def record_panel_decision(case: Case, inp: a.PanelDecisionInput) -> None:
    """Adopt (with a plan) or not."""
    if not inp.adopted:
        close(case, ClosureReason.NOT_ADOPTED)
    else:
        case.state.adopted = True
        if case.state.consent_given:
            _start_support(case)
        else:
            _await_consent(case)
    case.emit(
        ev.PanelDecisionRecorded,
        actor_role=inp.actor.role,
        adopted=inp.adopted,
        basis=inp.basis,
        attendee_count=len(inp.attendees),
        conflicts_declared=len(inp.conflicts),
    )
    if inp.plan is not None:
        _add_revision(case, inp.plan)


def _start_support(case: Case) -> None:
    case.move(Stage.SUPPORT_ACTIVE)
    _schedule_review(case)


def _schedule_review(case: Case) -> dt.datetime:
    case.state.alarms = [
        alarm for alarm in case.state.alarms if not alarm.kind.startswith("support_review")
    ]
    due = case.days(case.policy.support_review_days)
    case.alarm(AlarmKind.SUPPORT_REVIEW_DUE, due)
    return due


def revise_support_plan(case: Case, inp: a.SupportPlanInput) -> None:
    """Agree a new revision of the plan."""
    case.touch()
    _add_revision(case, inp)


def _add_revision(case: Case, plan: a.SupportPlanInput) -> None:
    revision = PlanRevision(
        revision=len(case.state.plan) + 1,
        agreed_at=case.now,
        items=[PlanItem(item_id=case.new_id(), intervention=item) for item in plan.interventions],
    )
    case.state.plan.append(revision)
    case.emit(
        ev.SupportPlanRevised,
        actor_role=plan.actor.role,
        revision=revision.revision,
        items=[
            ev.PlanItem(
                item_id=item.item_id,
                intervention=item.intervention.type,
                provider_id=item.intervention.provider_id,
            )
            for item in revision.items
        ],
    )


def record_support_review(case: Case, inp: a.SupportReviewInput) -> None:
    """Continue, revise or exit."""
    case.touch()
    next_review = None
    if inp.decision is ReviewDecision.EXIT:
        _exit(case, inp)
    else:
        next_review = _schedule_review(case)
    case.emit(
        ev.SupportReviewRecorded,
        actor_role=inp.actor.role,
        decision=inp.decision,
        next_review_at=next_review,
    )
    if inp.plan is not None:
        _add_revision(case, inp.plan)


def _exit(case: Case, inp: a.SupportReviewInput) -> None:
    case.state.exited_at = case.now
    case.state.post_exit_reviews_done = []
    case.move(Stage.POST_EXIT_REVIEW)
    dates = _schedule_post_exit(case, case.now, case.policy.post_exit_review_months)
    case.emit(
        ev.CaseExited,
        actor_role=inp.actor.role,
        exited_at=case.now,
        # The 6- and 12-month fields stay for consumers that predate `reviews`.
        review_6_months_at=dates.get(6),
        review_12_months_at=dates.get(12),
        reviews=[ev.ReviewDate(months=months, due_at=due) for months, due in dates.items()],
        # The code only: its notes are free text, kept with the step, never in an event.
        exit_reason=inp.exit_reason.code if inp.exit_reason else None,
    )


def _schedule_post_exit(
    case: Case, exited_at: dt.datetime, months: Sequence[int]
) -> dict[int, dt.datetime]:
    """Alarms for each review (due, then overdue), counted from the exit."""
    dates = {m: add_months(exited_at, m) for m in months}
    for m, due in dates.items():
        case.alarm(AlarmKind.POST_EXIT_REVIEW_DUE, due, m)
        overdue = due + dt.timedelta(days=case.policy.review_overdue_days)
        case.alarm(AlarmKind.POST_EXIT_REVIEW_OVERDUE, overdue, m)
    return dates


def _resume(case: Case, stage: Stage) -> None:
    """No further action after new information: support, or the post-exit reviews, go on."""
    if stage is Stage.SUPPORT_ACTIVE:
        _start_support(case)
        return
    case.move(Stage.POST_EXIT_REVIEW)
    exited_at = case.state.exited_at or case.now
    _schedule_post_exit(case, exited_at, pending_post_exit_reviews(case.state, case.policy))


def record_post_exit_review(case: Case, inp: a.PostExitReviewInput) -> None:
    """A post-exit review: concerns re-open the case; the last clean one closes it."""
    case.touch()
    case.state.post_exit_reviews_done.append(inp.months)
    case.state.alarms = [alarm for alarm in case.state.alarms if alarm.months != inp.months]
    pending = pending_post_exit_reviews(case.state, case.policy)
    if inp.concerns:
        case.state.adopted = False
        enter_channel(case)
    elif not pending:
        close(case, ClosureReason.SUPPORT_COMPLETED)
    following = pending[0] if pending and not inp.concerns else None
    exited_at = case.state.exited_at
    case.emit(
        ev.PostExitReviewRecorded,
        actor_role=inp.actor.role,
        months=inp.months,
        reopened=inp.concerns,
        next_months=following,
        next_due_at=add_months(exited_at, following) if following and exited_at else None,
    )
    if inp.concerns:
        case.emit(ev.CaseReopened, actor_role=inp.actor.role)


def transfer_case(case: Case, inp: a.TransferInput) -> None:
    """Move the case to another area at once (runs from before a transfer needed accepting)."""
    _move_to(case, inp.to_area, inp.actor)


def request_transfer(case: Case, inp: a.TransferInput) -> None:
    """Ask another area to take the case; it stays with its area until that one accepts."""
    case.state.pending_transfer = PendingTransfer(
        to_area=inp.to_area,
        reason=inp.reason,
        requested_by=inp.actor.id,
        requested_role=inp.actor.role,
        requested_at=case.now,
    )
    case.touch()
    # The reason is free text: it stays in the case, never in the event.
    case.emit(ev.CaseTransferRequested, actor_role=inp.actor.role, to_area=inp.to_area)


def accept_transfer(case: Case, inp: a.AcceptTransferInput) -> None:
    """The receiving area takes the case in; its history and timers come with it."""
    _move_to(case, _answered(case).to_area, inp.actor)


def decline_transfer(case: Case, inp: a.DeclineTransferInput) -> None:
    """The receiving area declines; the case stays where it is."""
    pending = _answered(case)
    case.emit(ev.CaseTransferDeclined, actor_role=inp.actor.role, to_area=pending.to_area)


def withdraw_transfer(case: Case, inp: a.WithdrawTransferInput) -> None:
    """The sending area no longer asks for the transfer."""
    pending = _answered(case)
    case.emit(ev.CaseTransferWithdrawn, actor_role=inp.actor.role, to_area=pending.to_area)


def _answered(case: Case) -> PendingTransfer:
    """The pending transfer, now answered (the rules make sure there is one)."""
    pending = case.state.pending_transfer
    assert pending is not None  # noqa: S101 - `rules` refuses an answer to no request
    case.state.pending_transfer = None
    case.touch()
    return pending


def _move_to(case: Case, to_area: str, actor: a.Actor) -> None:
    from_area = case.state.area
    case.state.area = to_area
    case.touch()
    case.emit(ev.CaseTransferred, actor_role=actor.role, from_area=from_area, to_area=to_area)


def set_area(case: Case, inp: a.SetAreaInput) -> None:
    """Place a case no area held yet in one; its timers and history stay as they are."""
    case.state.area = inp.area
    case.touch()
    case.emit(ev.CaseAreaSet, actor_role=inp.actor.role)


# --- closure and retention ----------------------------------------------------------------


def close(case: Case, reason: ClosureReason) -> None:
    """Close the case; the retention period for its outcome starts now.

    Retention is a durable timer in the case itself rather than a Schedule sweeping a table:
    the deadline then lives and dies with the case (transfers, re-opening and policy included),
    a sweeper's missed run cannot lose it, and an idle workflow costs Temporal next to nothing.
    """
    case.move(Stage.CLOSED)
    case.state.closure_reason = reason
    # A closed case is not transferred: a request still waiting lapses with it.
    case.state.pending_transfer = None
    retain_until = add_months(case.now, 12 * case.policy.retention_years[reason])
    case.state.retain_until = retain_until
    case.alarm(AlarmKind.RETENTION_EXPIRY, retain_until)
    case.closing.append(
        ev.CaseClosed(
            referral_id=case.referral_id,
            reference=case.reference,
            stage=Stage.CLOSED,
            area=case.state.area,
            reason=reason,
            retain_until=retain_until,
        )
    )


# --- alarms -------------------------------------------------------------------------------


def fire(case: Case, alarm: Alarm) -> None:
    """An alarm is due: raise its event, or make its transition."""
    case.state.alarms.remove(alarm)
    case.touch()
    _ALARMS[alarm.kind](case, alarm)


def _assessment_reminder(case: Case, alarm: Alarm) -> None:
    case.emit(ev.AssessmentReminderDue, due_at=case.state.assessment_due_at)


def _assessment_overdue(case: Case, alarm: Alarm) -> None:
    case.emit(ev.AssessmentOverdue, due_at=alarm.at)


def _police_review_due(case: Case, alarm: Alarm) -> None:
    case.emit(ev.PoliceReviewDue, due_at=alarm.at)


def _consent_reminder(case: Case, alarm: Alarm) -> None:
    case.emit(
        ev.ConsentReminderDue,
        route=case.state.consent_route,
        expires_at=case.state.consent_expires_at,
        method=case.state.consent_method,
    )


def _consent_expiry(case: Case, alarm: Alarm) -> None:
    consent_not_given(case, ConsentDecision.NO_RESPONSE, actor=None)


def _consent_reassessment_due(case: Case, alarm: Alarm) -> None:
    case.emit(ev.ConsentReassessmentDue)


def _support_review_due(case: Case, alarm: Alarm) -> None:
    overdue = alarm.at + dt.timedelta(days=case.policy.review_overdue_days)
    case.alarm(AlarmKind.SUPPORT_REVIEW_OVERDUE, overdue)
    case.emit(ev.SupportReviewDue, due_at=alarm.at)


def _was_due(case: Case, alarm: Alarm) -> dt.datetime:
    # The overdue alarm rings review_overdue_days after the due date; the escalation names the
    # due date (the notice says "was due on").
    return alarm.at - dt.timedelta(days=case.policy.review_overdue_days)


def _support_review_overdue(case: Case, alarm: Alarm) -> None:
    case.emit(ev.SupportReviewOverdue, due_at=_was_due(case, alarm))


def _post_exit_due(case: Case, alarm: Alarm) -> None:
    case.emit(ev.PostExitReviewDue, months=alarm.months, due_at=alarm.at)


def _post_exit_overdue(case: Case, alarm: Alarm) -> None:
    case.emit(ev.PostExitReviewOverdue, months=alarm.months, due_at=_was_due(case, alarm))


def _retention_expiry(case: Case, alarm: Alarm) -> None:
    case.state.decisions = [
        record.model_copy(update={"detail": scrub(record.detail)})
        for record in case.state.decisions
    ]
    case.move(Stage.REDACTED)
    case.emit(ev.CaseRedacted)


_ALARMS: dict[AlarmKind, Callable[[Case, Alarm], None]] = {
    AlarmKind.ASSESSMENT_REMINDER: _assessment_reminder,
    AlarmKind.ASSESSMENT_OVERDUE: _assessment_overdue,
    AlarmKind.POLICE_REVIEW_DUE: _police_review_due,
    AlarmKind.CONSENT_REMINDER: _consent_reminder,
    AlarmKind.CONSENT_EXPIRY: _consent_expiry,
    AlarmKind.CONSENT_REASSESSMENT_DUE: _consent_reassessment_due,
    AlarmKind.SUPPORT_REVIEW_DUE: _support_review_due,
    AlarmKind.SUPPORT_REVIEW_OVERDUE: _support_review_overdue,
    AlarmKind.POST_EXIT_REVIEW_DUE: _post_exit_due,
    AlarmKind.POST_EXIT_REVIEW_OVERDUE: _post_exit_overdue,
    AlarmKind.RETENTION_EXPIRY: _retention_expiry,
}


def scrub(value: Any) -> Any:
    """Drop the fields the inputs declare personal, recursively: after retention only codes,
    numbers and dates remain."""
    return without_personal(value, a.PERSONAL_FIELDS)
