"""`ReferralWorkflow`: one durable workflow per referral, from intake to redaction.

Human steps arrive as updates (validated first, so a rejected one leaves no trace in history);
timers are `Alarm`s in the case state, so they survive continue-as-new and new releases.
The decisions themselves live in `transitions`, the permissions in `rules`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from safeguard.codes import Stage
    from safeguard.events.contracts import DomainEvent, ReferralSubmitted
    from safeguard.temporal import CASE_AREA, CASE_STAGE, REFERRAL_REFERENCE
    from workflows.referral import actions as a
    from workflows.referral import rules, transitions
    from workflows.referral.activities import ReferralActivities, assessment_due
    from workflows.referral.models import (
        CaseStatus,
        DueDateInput,
        DueDates,
        RecordEventInput,
        RecordEventsInput,
        ReferralWorkflowInput,
    )
    from workflows.referral.standing import case_status
    from workflows.referral.state import CaseState, DecisionRecord

EVENT_SOURCE = "/workflows/referral"
# Since v3 a transfer waits for the receiving area to accept it.
TRANSFER_ACCEPTED_BY_RECEIVER = "transfer-accepted-by-receiver"
# Since v4 a step publishes its events in one local activity and works out due dates in another;
# runs begun earlier keep one activity per event and the due-date activity, through the server.
LIGHT_STEPS = "light-steps"
_ACTIVITY_TIMEOUT = timedelta(seconds=30)

ActionT = TypeVar("ActionT", bound=a.ActionInput)


# Intake's accepting transaction names the workflow in SQL (store.accept) with this prefix.
WORKFLOW_ID_PREFIX = "referral-"


def workflow_id_for(reference: str) -> str:
    """The workflow id of a referral: derived from its reference, so a case has one workflow."""
    return f"{WORKFLOW_ID_PREFIX}{reference}"


@workflow.defn
class ReferralWorkflow:
    """Runs one referral through the Prevent and Channel lifecycle."""

    @workflow.init
    def __init__(self, input: ReferralWorkflowInput) -> None:
        self._input = input
        self._state = input.state or CaseState(area=input.area)
        # Events leave in the order they were decided, even when handlers interleave.
        self._emit_lock = asyncio.Lock()
        self._published_stage: tuple[Stage, str] | None = None

    @workflow.run
    async def run(self, input: ReferralWorkflowInput) -> None:
        """Open the case, then act on alarms until it is redacted."""
        if input.state is None:
            # Since v2 a new case is searchable before its due dates are worked out; cases
            # started under v1 replay without this step (see tests/workflow/histories). Since
            # v4 the whole opening is one workflow task (its calls are local), so one upsert
            # at its end makes the case searchable as soon, with its first stage.
            if not workflow.patched(LIGHT_STEPS) and workflow.patched("search-attributes-at-start"):
                self._upsert_search_attributes()
            await self._open()
        else:
            self._upsert_search_attributes()
        while self._state.stage is not Stage.REDACTED:
            await self._next_alarm_or_change()
            if self._history_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._input.model_copy(update={"state": self._state}))

    # --- queries -------------------------------------------------------------------------

    @workflow.query
    def status(self) -> CaseStatus:
        """Current stage, due dates and the actions the stage allows."""
        return case_status(self._context(), self._input.reference)

    @workflow.query
    def decisions(self) -> list[DecisionRecord]:
        """Every decision with its actor, role and time."""
        return list(self._state.decisions)

    # --- updates (human steps) -----------------------------------------------------------

    @workflow.update
    async def record_gateway_assessment(self, inp: a.GatewayAssessmentInput) -> CaseStatus:
        """Police gateway assessment outcome."""
        return await self._act(
            "record_gateway_assessment", inp, transitions.record_gateway_assessment
        )

    @record_gateway_assessment.validator
    def _check_gateway(self, inp: a.GatewayAssessmentInput) -> None:
        self._check("record_gateway_assessment", inp)

    @workflow.update
    async def refer_to_channel(self, inp: a.ChannelReferralInput) -> CaseStatus:
        """The local authority refers the case to Channel (since 2019)."""
        return await self._act("refer_to_channel", inp, transitions.refer_to_channel)

    @refer_to_channel.validator
    def _check_channel_referral(self, inp: a.ChannelReferralInput) -> None:
        self._check("refer_to_channel", inp)

    @workflow.update
    async def record_police_review(self, inp: a.PoliceReviewInput) -> CaseStatus:
        """Review of a police-led case."""
        return await self._act("record_police_review", inp, transitions.record_police_review)

    @record_police_review.validator
    def _check_police_review(self, inp: a.PoliceReviewInput) -> None:
        self._check("record_police_review", inp)

    @workflow.update
    async def add_information(self, inp: a.NewInformationInput) -> CaseStatus:
        """New information: back to gateway assessment with a fresh due date."""
        dates = await self._due_dates()
        self._check("add_information", inp)  # the case may have moved while we computed

        def reassess(case: transitions.Case, action: a.NewInformationInput) -> None:
            transitions.add_information(
                case, action, reminder_at=dates.reminder_at, due_at=dates.due_at
            )

        return await self._act("add_information", inp, reassess)

    @add_information.validator
    def _check_information(self, inp: a.NewInformationInput) -> None:
        self._check("add_information", inp)

    @workflow.update
    async def request_consent(self, inp: a.ConsentRequestInput) -> CaseStatus:
        """Ask the person, a parent or guardian, or record the best-interests route."""
        return await self._act("request_consent", inp, transitions.request_consent)

    @request_consent.validator
    def _check_consent_request(self, inp: a.ConsentRequestInput) -> None:
        self._check("request_consent", inp)

    @workflow.update
    async def record_consent(self, inp: a.ConsentDecisionInput) -> CaseStatus:
        """Consent given or refused."""
        return await self._act("record_consent", inp, transitions.record_consent)

    @record_consent.validator
    def _check_consent(self, inp: a.ConsentDecisionInput) -> None:
        self._check("record_consent", inp)

    @workflow.update
    async def withdraw_consent(self, inp: a.WithdrawConsentInput) -> CaseStatus:
        """Consent withdrawn."""
        return await self._act("withdraw_consent", inp, transitions.withdraw_consent)

    @withdraw_consent.validator
    def _check_withdrawal(self, inp: a.WithdrawConsentInput) -> None:
        self._check("withdraw_consent", inp)

    @workflow.update
    async def set_reassessment_period(self, inp: a.ReassessmentPeriodInput) -> CaseStatus:
        """The panel chooses when a case without consent is reassessed."""
        return await self._act("set_reassessment_period", inp, transitions.set_reassessment_period)

    @set_reassessment_period.validator
    def _check_reassessment_period(self, inp: a.ReassessmentPeriodInput) -> None:
        self._check("set_reassessment_period", inp)

    @workflow.update
    async def reassess_after_refusal(self, inp: a.RefusalReassessmentInput) -> CaseStatus:
        """The panel's reassessment after consent was not given."""
        return await self._act("reassess_after_refusal", inp, transitions.reassess_after_refusal)

    @reassess_after_refusal.validator
    def _check_reassessment(self, inp: a.RefusalReassessmentInput) -> None:
        self._check("reassess_after_refusal", inp)

    @workflow.update
    async def record_panel_decision(self, inp: a.PanelDecisionInput) -> CaseStatus:
        """The Channel panel's decision."""
        return await self._act("record_panel_decision", inp, transitions.record_panel_decision)

    @record_panel_decision.validator
    def _check_panel_decision(self, inp: a.PanelDecisionInput) -> None:
        self._check("record_panel_decision", inp)

    @workflow.update
    async def revise_support_plan(self, inp: a.SupportPlanInput) -> CaseStatus:
        """A new revision of the support plan."""
        return await self._act("revise_support_plan", inp, transitions.revise_support_plan)

    @revise_support_plan.validator
    def _check_plan(self, inp: a.SupportPlanInput) -> None:
        self._check("revise_support_plan", inp)

    @workflow.update
    async def record_support_review(self, inp: a.SupportReviewInput) -> CaseStatus:
        """Continue, revise or exit."""
        return await self._act("record_support_review", inp, transitions.record_support_review)

    @record_support_review.validator
    def _check_support_review(self, inp: a.SupportReviewInput) -> None:
        self._check("record_support_review", inp)

    @workflow.update
    async def record_post_exit_review(self, inp: a.PostExitReviewInput) -> CaseStatus:
        """A post-exit review (at 6 and 12 months unless the case's policy says otherwise)."""
        return await self._act("record_post_exit_review", inp, transitions.record_post_exit_review)

    @record_post_exit_review.validator
    def _check_post_exit(self, inp: a.PostExitReviewInput) -> None:
        self._check("record_post_exit_review", inp)

    @workflow.update
    async def transfer_case(self, inp: a.TransferInput) -> CaseStatus:
        """Ask another area to take the case: it moves when that area accepts."""
        # Runs that moved a case at once before acceptance existed replay (and keep) that
        # behaviour (tests/workflow/histories/transfer_v1.json); new ones ask first.
        if not workflow.patched(TRANSFER_ACCEPTED_BY_RECEIVER):
            return await self._act("transfer_case", inp, transitions.transfer_case)
        return await self._answer("transfer_case", inp, transitions.request_transfer)

    @transfer_case.validator
    def _check_transfer(self, inp: a.TransferInput) -> None:
        self._check("transfer_case", inp)

    @workflow.update
    async def accept_transfer(self, inp: a.AcceptTransferInput) -> CaseStatus:
        """The receiving area takes the case in, with its history."""
        return await self._answer("accept_transfer", inp, transitions.accept_transfer)

    @accept_transfer.validator
    def _check_accept_transfer(self, inp: a.AcceptTransferInput) -> None:
        self._check("accept_transfer", inp)

    @workflow.update
    async def decline_transfer(self, inp: a.DeclineTransferInput) -> CaseStatus:
        """The receiving area declines the transfer; the case stays."""
        return await self._answer("decline_transfer", inp, transitions.decline_transfer)

    @decline_transfer.validator
    def _check_decline_transfer(self, inp: a.DeclineTransferInput) -> None:
        self._check("decline_transfer", inp)

    @workflow.update
    async def withdraw_transfer(self, inp: a.WithdrawTransferInput) -> CaseStatus:
        """The sending area withdraws its request."""
        return await self._answer("withdraw_transfer", inp, transitions.withdraw_transfer)

    @withdraw_transfer.validator
    def _check_withdraw_transfer(self, inp: a.WithdrawTransferInput) -> None:
        self._check("withdraw_transfer", inp)

    @workflow.update
    async def set_area(self, inp: a.SetAreaInput) -> CaseStatus:
        """Place a case that has no area yet in one (triage)."""
        return await self._act("set_area", inp, transitions.set_area)

    @set_area.validator
    def _check_set_area(self, inp: a.SetAreaInput) -> None:
        self._check("set_area", inp)

    # --- machinery -----------------------------------------------------------------------

    def _context(self) -> rules.Context:
        return rules.Context(
            state=self._state,
            policy=self._input.policy.consent_policy,
            date_of_birth=self._input.date_of_birth,
            today=workflow.now().date(),
            lifecycle=self._input.policy,
            now=workflow.now(),
        )

    def _check(self, action: str, inp: a.ActionInput) -> None:
        rules.check(action, self._context(), inp)

    def _case(self) -> transitions.Case:
        return transitions.Case(
            referral_id=self._input.referral_id,
            reference=self._input.reference,
            policy=self._input.policy,
            state=self._state,
            now=workflow.now(),
            new_id=workflow.uuid4,
            date_of_birth=self._input.date_of_birth,
        )

    async def _act(
        self, action: str, inp: ActionT, apply: Callable[[transitions.Case, ActionT], None]
    ) -> CaseStatus:
        case = self._case()
        before = self._state.stage
        apply(case, inp)
        self._state.decisions.append(
            DecisionRecord(
                action=action,
                actor_id=inp.actor.id,
                actor_role=inp.actor.role,
                at=case.now,
                stage_before=before,
                stage_after=self._state.stage,
                detail=inp.model_dump(mode="json", exclude={"actor"}),
            )
        )
        await self._publish(case)
        return self.status()

    async def _answer(
        self, action: str, inp: ActionT, apply: Callable[[transitions.Case, ActionT], None]
    ) -> CaseStatus:
        # Checked again: two answers accepted together must not both apply to one request.
        self._check(action, inp)
        return await self._act(action, inp, apply)

    async def _open(self) -> None:
        dates = await self._due_dates()
        case = self._case()
        transitions.open_assessment(case, reminder_at=dates.reminder_at, due_at=dates.due_at)
        case.emit(
            ReferralSubmitted,
            sector=self._input.sector,
            concern_type=self._input.concern_type,
            assessment_due_at=dates.due_at,
            linked_referral_ids=self._input.linked_referral_ids,
        )
        await self._publish(case)

    async def _due_dates(self) -> DueDates:
        policy = self._input.policy
        inp = DueDateInput(
            start=workflow.now(),
            working_days=policy.assessment_working_days,
            reminder_working_days=policy.assessment_reminder_working_days,
            subdivision=policy.holiday_subdivision,
        )
        if workflow.patched(LIGHT_STEPS):
            # A local activity: no round trip through the server, and its answer is still
            # recorded in the history (a marker), so a case replays with the dates it was
            # given even after a release updates the bank-holiday tables.
            return await workflow.execute_local_activity(
                assessment_due, inp, start_to_close_timeout=_ACTIVITY_TIMEOUT
            )
        return await workflow.execute_activity(
            assessment_due, inp, start_to_close_timeout=_ACTIVITY_TIMEOUT
        )

    async def _next_alarm_or_change(self) -> None:
        epoch = self._state.epoch
        alarm = self._state.next_alarm()
        if alarm is None:
            await workflow.wait_condition(lambda: self._state.epoch != epoch)
            return
        delay = (alarm.at - workflow.now()).total_seconds()
        if delay > 0:
            try:
                await workflow.wait_condition(lambda: self._state.epoch != epoch, timeout=delay)
                return
            except TimeoutError:
                pass
        case = self._case()
        transitions.fire(case, alarm)
        await self._publish(case)

    async def _publish(self, case: transitions.Case) -> None:
        self._upsert_search_attributes()
        async with self._emit_lock:
            events = case.published()
            if events and workflow.patched(LIGHT_STEPS):
                await self._emit_all(events)
                return
            for event in events:
                await self._emit(event)

    def _upsert_search_attributes(self) -> None:
        current = (self._state.stage, self._state.area)
        if current == self._published_stage:
            return
        updates = [CASE_STAGE.value_set(current[0]), CASE_AREA.value_set(current[1])]
        if self._published_stage is None:
            updates.append(REFERRAL_REFERENCE.value_set(self._input.reference))
        workflow.upsert_search_attributes(updates)
        self._published_stage = current

    async def _emit(self, event: DomainEvent) -> None:
        envelope = event.envelope(
            event_id=workflow.uuid4(), source=EVENT_SOURCE, time=workflow.now()
        )
        await workflow.execute_activity_method(
            ReferralActivities.record_event,
            RecordEventInput(envelope=envelope),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
        )

    async def _emit_all(self, events: list[DomainEvent]) -> None:
        # One local activity for the whole step, in this workflow task: no round trip through
        # the server. It returns the envelopes, which its marker keeps in the history (the
        # audit timeline reads them there), and the outbox gets them in one transaction.
        now = workflow.now()
        envelopes = [
            event.envelope(event_id=workflow.uuid4(), source=EVENT_SOURCE, time=now)
            for event in events
        ]
        await workflow.execute_local_activity_method(
            ReferralActivities.record_events,
            RecordEventsInput(envelopes=envelopes),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
        )

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._input.history_limit
        )
