"""Which human step is allowed in which stage, by which role, with which content.

Validators call `check`; a rejection becomes a failed update that leaves nothing in history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio.exceptions import ApplicationError

from safeguard.calendar import add_months
from safeguard.codes import (
    UNASSIGNED_AREA,
    ConsentPolicy,
    ConsentRoute,
    DecisionBasis,
    RefusalReassessment,
    Role,
    Stage,
)
from safeguard.policy import LifecyclePolicy
from workflows.referral import actions as a
from workflows.referral.models import PostExitReviewWindow
from workflows.referral.state import CaseState

OPEN_STAGES = frozenset(
    {
        Stage.GATEWAY_ASSESSMENT,
        Stage.POLICE_LED,
        Stage.CONSENT_PENDING,
        Stage.CONSENT_REFUSED,
        Stage.PANEL_CONSIDERATION,
        Stage.SUPPORT_ACTIVE,
        Stage.POST_EXIT_REVIEW,
    }
)
POLICE = frozenset({Role.PREVENT_OFFICER})
CHAIR = frozenset({Role.CHANNEL_CHAIR})
POLICE_OR_CHAIR = frozenset({Role.PREVENT_OFFICER, Role.CHANNEL_CHAIR})
CONSENT_TAKERS = POLICE_OR_CHAIR | {Role.PERSON_OR_GUARDIAN}


@dataclass(frozen=True)
class Context:
    """What a check may look at."""

    state: CaseState
    policy: ConsentPolicy
    date_of_birth: dt.date | None
    today: dt.date
    lifecycle: LifecyclePolicy
    now: dt.datetime


ContentCheck = Callable[[Context, Any], str | None]


@dataclass(frozen=True)
class Refusal:
    """A refusal with its own kind, which the services answer as its own problem type."""

    kind: str
    message: str


@dataclass(frozen=True)
class Rule:
    """Stages and roles an action is allowed in, plus a check of its content."""

    stages: frozenset[Stage]
    roles: frozenset[Role]
    content: ContentCheck | None = None
    precondition: Callable[[Context], str | None] | None = None
    # A state the case must be in besides its stage; failing it conflicts with the case as it
    # stands (409), where a failed precondition is an invalid request (422).
    conflict: Callable[[Context], str | None] | None = None
    # Refusals of their own kind: one on the case's state alone (the action is then not
    # offered), and one on who acts or what they send.
    state_refusal: Callable[[Context], Refusal | None] | None = None
    input_refusal: Callable[[Context, Any], Refusal | None] | None = None


def reject(kind: str, message: str, **details: Any) -> ApplicationError:
    """An update rejection the services turn into 409 / 403 / 422."""
    return ApplicationError(message, details, type=kind, non_retryable=True)


def required_consent_route(date_of_birth: dt.date | None, today: dt.date) -> ConsentRoute | None:
    """The person if 18 or over on the date of the request, else a parent or guardian."""
    if date_of_birth is None:
        return None
    adult_from = _eighteenth_birthday(date_of_birth)
    return ConsentRoute.PERSON if today >= adult_from else ConsentRoute.GUARDIAN


def _eighteenth_birthday(born: dt.date) -> dt.date:
    try:
        return born.replace(year=born.year + 18)
    except ValueError:  # born on 29 February
        return dt.date(born.year + 18, 3, 1)


def _consent_route(ctx: Context, inp: a.ConsentRequestInput) -> str | None:
    required = required_consent_route(ctx.date_of_birth, ctx.today)
    if inp.route is ConsentRoute.BEST_INTERESTS or required is None or inp.route is required:
        return None
    return f"consent must be asked of the {required.value} (age on the date of the request)"


def _consent_not_requested(ctx: Context) -> str | None:
    return "consent has already been requested" if ctx.state.consent_route else None


def _consent_requested(ctx: Context) -> str | None:
    return None if ctx.state.consent_route else "consent has not been requested yet"


def _consent_in_force(ctx: Context) -> str | None:
    return None if ctx.state.consent_given else "no consent is in force to withdraw"


def _panel_decision(ctx: Context, inp: a.PanelDecisionInput) -> str | None:
    ids = {attendee.id for attendee in inp.attendees}
    if len(ids) != len(inp.attendees):
        return "an attendee is listed twice"
    if any(conflict.attendee_id not in ids for conflict in inp.conflicts):
        return "a conflict is declared by someone who did not attend"
    if inp.votes_for + inp.votes_against > len(inp.attendees):
        return "more votes than attendees"
    if problem := _basis_problem(inp):
        return problem
    if inp.adopted and inp.plan is None:
        return "an adopted case needs a support plan"
    if not inp.adopted and not inp.health_or_social_care_considered:
        return "when not adopting, referral to health or social care must be considered"
    return None


def _basis_problem(inp: a.PanelDecisionInput) -> str | None:
    tie = inp.votes_for == inp.votes_against
    if inp.basis is DecisionBasis.CHAIR_CASTING_VOTE:
        return None if tie else "the chair's casting vote is only for a tied vote"
    if tie:
        return "a tied vote is decided by the chair's casting vote"
    if (inp.votes_for > inp.votes_against) != inp.adopted:
        return "the decision does not follow the votes"
    if inp.basis is DecisionBasis.UNANIMOUS and min(inp.votes_for, inp.votes_against) > 0:
        return "a unanimous decision cannot have votes on both sides"
    return None


def _support_review(ctx: Context, inp: a.SupportReviewInput) -> str | None:
    if (inp.decision == "revise") != (inp.plan is not None):
        return "a revised plan is required for 'revise' and only for it"
    return _exit_reason(inp)


def _exit_reason(inp: a.SupportReviewInput) -> str | None:
    # Checked here, not in the input model: exits recorded before reasons must still decode.
    if (inp.decision == "exit") != (inp.exit_reason is not None):
        return "an exit reason is required for 'exit' and only for it"
    if inp.exit_reason and inp.exit_reason.code == "other" and not inp.exit_reason.notes:
        return "say why in the exit reason's notes when the reason is 'other'"
    return None


def pending_post_exit_reviews(state: CaseState, policy: LifecyclePolicy) -> list[int]:
    """The case policy's post-exit reviews not yet held, in order."""
    return [m for m in policy.post_exit_review_months if m not in state.post_exit_reviews_done]


def post_exit_review_opens(ctx: Context, months: int) -> dt.datetime | None:
    """When the `months` review may first be recorded: a window before it falls due."""
    if ctx.state.exited_at is None:
        return None
    window = dt.timedelta(days=ctx.lifecycle.post_exit_review_window_days)
    return add_months(ctx.state.exited_at, months) - window


def post_exit_review_windows(ctx: Context) -> list[PostExitReviewWindow]:
    """The reviews not yet held, with their dates, while the case is in its post-exit reviews
    (or reassessed from them, when they keep their dates but none may be recorded)."""
    exited_at = ctx.state.exited_at
    in_reviews = ctx.state.stage is Stage.POST_EXIT_REVIEW
    if exited_at is None or not (in_reviews or ctx.state.resume_stage is Stage.POST_EXIT_REVIEW):
        return []
    window = dt.timedelta(days=ctx.lifecycle.post_exit_review_window_days)
    windows = []
    for months in pending_post_exit_reviews(ctx.state, ctx.lifecycle):
        due = add_months(exited_at, months)
        opens = due - window
        windows.append(
            PostExitReviewWindow(
                months=months, due_at=due, opens_at=opens, open=in_reviews and opens <= ctx.now
            )
        )
    return windows


def _post_exit_review_open(ctx: Context) -> str | None:
    pending = pending_post_exit_reviews(ctx.state, ctx.lifecycle)
    opens = [post_exit_review_opens(ctx, months) for months in pending[:1]]
    if not opens or opens[0] is None or opens[0] <= ctx.now:
        return None
    return f"the {pending[0]}-month post-exit review may be recorded from {opens[0]:%Y-%m-%d}"


def _post_exit_review(ctx: Context, inp: a.PostExitReviewInput) -> str | None:
    pending = pending_post_exit_reviews(ctx.state, ctx.lifecycle)
    if inp.months not in pending:
        return f"no pending {inp.months}-month review (pending: {pending})"
    opens = post_exit_review_opens(ctx, inp.months)
    if opens is not None and opens > ctx.now:
        return f"the {inp.months}-month review may be recorded from {opens:%Y-%m-%d}"
    return None


def _refusal_reassessment(ctx: Context, inp: a.RefusalReassessmentInput) -> str | None:
    if (inp.decision is RefusalReassessment.SIGNPOST) != (inp.signposted_to is not None):
        return "signposted_to is required for 'signpost' and only for it"
    return None


def _reassessment_period(ctx: Context, inp: a.ReassessmentPeriodInput) -> str | None:
    start = ctx.state.consent_not_given_at
    since = start.date() if start is not None else ctx.today
    if since + dt.timedelta(days=inp.days) < ctx.today:
        return f"{inp.days} days after consent was not given ({since}) is already past"
    return None


def _transfer_named(ctx: Context, inp: a.TransferInput) -> str | None:
    return "name the area to transfer to" if inp.to_area == UNASSIGNED_AREA else None


def _no_transfer_pending(ctx: Context) -> Refusal | None:
    pending = ctx.state.pending_transfer
    if pending is None:
        return None
    return Refusal("TransferPending", f"a transfer to {pending.to_area} is already waiting")


def _transfer_pending(ctx: Context) -> Refusal | None:
    if ctx.state.pending_transfer is not None:
        return None
    return Refusal("NoTransferPending", "no transfer of this case is waiting for an answer")


def _elsewhere(ctx: Context, inp: a.TransferInput) -> Refusal | None:
    if inp.to_area != ctx.state.area:
        return None
    return Refusal("SameArea", "the case is already in that area")


def _receiving_side(ctx: Context, inp: a.ActionInput) -> Refusal | None:
    pending = ctx.state.pending_transfer
    if pending is None or pending.to_area in inp.actor.areas:
        return None
    return Refusal("NotReceivingArea", f"only {pending.to_area}, the receiving area, may answer")


def _sending_side(ctx: Context, inp: a.ActionInput) -> Refusal | None:
    if ctx.state.area in inp.actor.areas:
        return None
    return Refusal("NotSendingArea", f"only {ctx.state.area}, the sending area, may withdraw")


def _area_unknown(ctx: Context) -> str | None:
    if ctx.state.area == UNASSIGNED_AREA:
        return None
    return "the case already has an area; transfer it instead"


def _area_named(ctx: Context, inp: a.SetAreaInput) -> str | None:
    return "name the area the case belongs to" if inp.area == UNASSIGNED_AREA else None


RULES: dict[str, Rule] = {
    "record_gateway_assessment": Rule(frozenset({Stage.GATEWAY_ASSESSMENT}), POLICE),
    # Since 2019 the local authority may refer to Channel too; the police refer through their
    # gateway assessment (or a police-led review).
    "refer_to_channel": Rule(frozenset({Stage.GATEWAY_ASSESSMENT}), CHAIR),
    "record_police_review": Rule(frozenset({Stage.POLICE_LED}), POLICE),
    # The police may reassess whenever new information arrives, during support and after exit.
    "add_information": Rule(
        frozenset(
            {
                Stage.POLICE_LED,
                Stage.CONSENT_PENDING,
                Stage.CONSENT_REFUSED,
                Stage.PANEL_CONSIDERATION,
                Stage.SUPPORT_ACTIVE,
                Stage.POST_EXIT_REVIEW,
            }
        ),
        POLICE_OR_CHAIR,
    ),
    "request_consent": Rule(
        frozenset({Stage.CONSENT_PENDING}), POLICE_OR_CHAIR, _consent_route, _consent_not_requested
    ),
    "record_consent": Rule(
        frozenset({Stage.CONSENT_PENDING}), CONSENT_TAKERS, None, _consent_requested
    ),
    "withdraw_consent": Rule(
        frozenset({Stage.PANEL_CONSIDERATION, Stage.SUPPORT_ACTIVE}),
        CONSENT_TAKERS,
        None,
        _consent_in_force,
    ),
    "reassess_after_refusal": Rule(
        frozenset({Stage.CONSENT_REFUSED}), CHAIR, _refusal_reassessment
    ),
    "set_reassessment_period": Rule(
        frozenset({Stage.CONSENT_REFUSED}), CHAIR, _reassessment_period
    ),
    "record_panel_decision": Rule(frozenset({Stage.PANEL_CONSIDERATION}), CHAIR, _panel_decision),
    "revise_support_plan": Rule(frozenset({Stage.SUPPORT_ACTIVE}), CHAIR),
    "record_support_review": Rule(frozenset({Stage.SUPPORT_ACTIVE}), CHAIR, _support_review),
    "record_post_exit_review": Rule(
        frozenset({Stage.POST_EXIT_REVIEW}),
        CHAIR,
        _post_exit_review,
        conflict=_post_exit_review_open,
    ),
    # A transfer is asked by the case's area and answered by the receiving one; one at a time.
    "transfer_case": Rule(
        OPEN_STAGES,
        POLICE_OR_CHAIR,
        _transfer_named,
        state_refusal=_no_transfer_pending,
        input_refusal=_elsewhere,
    ),
    "accept_transfer": Rule(
        OPEN_STAGES,
        POLICE_OR_CHAIR,
        state_refusal=_transfer_pending,
        input_refusal=_receiving_side,
    ),
    "decline_transfer": Rule(
        OPEN_STAGES,
        POLICE_OR_CHAIR,
        state_refusal=_transfer_pending,
        input_refusal=_receiving_side,
    ),
    "withdraw_transfer": Rule(
        OPEN_STAGES, POLICE_OR_CHAIR, state_refusal=_transfer_pending, input_refusal=_sending_side
    ),
    "set_area": Rule(OPEN_STAGES, POLICE, _area_named, conflict=_area_unknown),
}


def check(action: str, ctx: Context, inp: a.ActionInput) -> None:
    """Raise the reason `action` may not be taken now by this actor with this content."""
    rule = RULES[action]
    stage = ctx.state.stage
    if stage not in rule.stages:
        raise reject("WrongStage", f"{action} is not allowed in stage {stage}", stage=stage)
    if inp.actor.role not in rule.roles:
        raise reject("NotPermitted", f"role {inp.actor.role} may not {action}", role=inp.actor.role)
    for refusal in _refusals(rule, ctx, inp):
        raise reject(refusal.kind, refusal.message, stage=stage)
    if rule.conflict and (conflict := rule.conflict(ctx)):
        raise reject("Conflict", conflict, stage=stage)
    for problem in _problems(rule, ctx, inp):
        raise reject("InvalidContent", problem, stage=stage)


def _refusals(rule: Rule, ctx: Context, inp: a.ActionInput) -> list[Refusal]:
    found = [rule.state_refusal(ctx)] if rule.state_refusal else []
    found += [rule.input_refusal(ctx, inp)] if rule.input_refusal else []
    return [refusal for refusal in found if refusal]


def _problems(rule: Rule, ctx: Context, inp: a.ActionInput) -> list[str]:
    found = [rule.precondition(ctx)] if rule.precondition else []
    found += [rule.content(ctx, inp)] if rule.content else []
    return [problem for problem in found if problem]


def allowed_actions(ctx: Context) -> list[str]:
    """Actions the current stage admits (roles and content aside)."""
    return [
        name
        for name, rule in RULES.items()
        if ctx.state.stage in rule.stages
        and not (rule.precondition and rule.precondition(ctx))
        and not (rule.conflict and rule.conflict(ctx))
        and not (rule.state_refusal and rule.state_refusal(ctx))
    ]
