"""Who each lifecycle event tells, with which template: one table.

Telling someone new is a row in `ROUTES` (and, for a new text, an entry in `TEMPLATES`). The
panel service's meeting events, for example, tell the panel of each case on the agenda:

    "panel.meeting_scheduled": (Route("panel_meeting_invitation", Audience.CHANNEL_PANEL),),
    "panel.agenda_published": (Route("panel_agenda", Audience.CHANNEL_PANEL),),

Recipients are named by role and scope only; addresses are looked up when sending.

An escalation goes to the supervisor tier of the team whose work fell overdue (`SUPERVISES`);
where the directory names no supervisors for the area, that team is told instead, and the
delivery log records the fallback (`recipients.py`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from safeguard.codes import ConsentMethod, ConsentRoute
from safeguard.events.contracts import DomainEvent, PlanItem


class Audience(StrEnum):
    """Who is told; each resolves to addresses differently (see `recipients.py`)."""

    REFERRER = "referrer"
    PREVENT_OFFICERS = "prevent_officers"
    # Who an overdue gateway assessment is escalated to (a sergeant's or inspector's mailbox).
    PREVENT_SUPERVISORS = "prevent_supervisors"
    CHANNEL_PANEL = "channel_panel"
    CONSENT_CONTACT = "consent_contact"
    INTERVENTION_PROVIDER = "intervention_provider"


@dataclass(frozen=True)
class Route:
    """An event tells an audience, using a template."""

    template: str
    audience: Audience
    # The event's field naming the area told: the case's own, or a transfer's receiving area.
    area_field: str = "area"


# Each supervisor tier, and the team told in its place where an area has no supervisor entry.
SUPERVISES: dict[Audience, Audience] = {Audience.PREVENT_SUPERVISORS: Audience.PREVENT_OFFICERS}

ROUTES: dict[str, tuple[Route, ...]] = {
    "referral.submitted": (
        Route("referral_acknowledgement", Audience.REFERRER),
        Route("assessment_task_new", Audience.PREVENT_OFFICERS),
    ),
    "assessment.reassessment_started": (Route("assessment_task_new", Audience.PREVENT_OFFICERS),),
    "assessment.reminder_due": (Route("assessment_reminder", Audience.PREVENT_OFFICERS),),
    # The officers learn their task is overdue; their supervisors are asked to act on it.
    "assessment.overdue": (
        Route("assessment_overdue", Audience.PREVENT_OFFICERS),
        Route("assessment_escalation", Audience.PREVENT_SUPERVISORS),
    ),
    "police_review.due": (Route("police_review_due", Audience.PREVENT_OFFICERS),),
    # The referrer sent more: the officers review it and decide whether to reassess.
    "referral.information_received": (
        Route("new_information_received", Audience.PREVENT_OFFICERS),
    ),
    # A case out of triage: its new area's officers learn of the work now in their inbox.
    "case.area_set": (Route("case_placed_in_area", Audience.PREVENT_OFFICERS),),
    # A transfer waits for the receiving area's officers; a refusal goes back to the sender.
    "case.transfer_requested": (
        Route("transfer_requested", Audience.PREVENT_OFFICERS, area_field="to_area"),
    ),
    "case.transfer_declined": (Route("transfer_declined", Audience.PREVENT_OFFICERS),),
    "consent.requested": (Route("consent_request", Audience.CONSENT_CONTACT),),
    "consent.reminder_due": (Route("consent_reminder", Audience.CONSENT_CONTACT),),
    "consent.reassessment_due": (Route("consent_reassessment_due", Audience.CHANNEL_PANEL),),
    "support_plan.revised": (Route("plan_items_assigned", Audience.INTERVENTION_PROVIDER),),
    "support_review.due": (Route("support_review_due", Audience.CHANNEL_PANEL),),
    "support_review.overdue": (Route("support_review_overdue", Audience.CHANNEL_PANEL),),
    "post_exit_review.due": (Route("post_exit_review_due", Audience.CHANNEL_PANEL),),
    "post_exit_review.overdue": (Route("post_exit_review_overdue", Audience.CHANNEL_PANEL),),
    # Meetings: the area's panel (its members' directory entry) learns each case on the agenda.
    "panel.meeting_scheduled": (Route("panel_meeting_invitation", Audience.CHANNEL_PANEL),),
    "panel.agenda_published": (Route("panel_agenda", Audience.CHANNEL_PANEL),),
    # Closure is told without its outcome: feedback to referrers is limited by design.
    "case.closed": (Route("case_closed", Audience.REFERRER),),
}

# A consent request made by letter is sent by post, with the letter's own texts (GOV.UK
# Notify keeps letter templates apart from email and SMS ones).
LETTER_TEMPLATES = {
    "consent_request": "consent_request_letter",
    "consent_reminder": "consent_reminder_letter",
}

_DUE_FIELDS = ("due_at", "expires_at", "assessment_due_at")
_UK = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Planned:
    """One notification an event calls for."""

    template: str
    audience: Audience
    recipient: str
    params: dict[str, str]


def plan(event: DomainEvent, *, at: datetime | None = None) -> list[Planned]:
    """The notifications `event` calls for (none for an event nobody is told of); `at` is when
    it happened (the envelope's time; now if not given)."""
    planned = []
    for route in ROUTES.get(event.event_type, ()):
        template = _by_post(event, route.template)
        escalation = _escalation_params(event, at) if route.audience in SUPERVISES else {}
        for recipient, extra in _recipients(event, route):
            params = _common_params(event) | escalation | extra
            planned.append(Planned(template, route.audience, recipient, params))
    return planned


def _by_post(event: DomainEvent, template: str) -> str:
    """The letter's template where the request was made by letter."""
    if getattr(event, "method", None) is ConsentMethod.LETTER:
        return LETTER_TEMPLATES.get(template, template)
    return template


def _recipients(event: DomainEvent, route: Route) -> list[tuple[str, dict[str, str]]]:
    """Recipient keys (role@scope) for a route's audience, each with its own parameters."""
    audience = route.audience
    if audience is Audience.REFERRER:
        return [("referrer", {})]
    if audience is Audience.CONSENT_CONTACT:
        # Best interests is decided for the person: there is nobody to ask.
        if getattr(event, "route", None) is ConsentRoute.BEST_INTERESTS:
            return []
        return [(consent_contact(getattr(event, "method", None)), {})]
    if audience is Audience.INTERVENTION_PROVIDER:
        return _providers(getattr(event, "items", []))
    return [(f"{audience.value}@{getattr(event, route.area_field)}", {})]


def consent_contact(method: ConsentMethod | None) -> str:
    """The consent contact's recipient key: by post or by email as the request was made;
    otherwise (in person, by phone, or asked before the method was sent) whichever way the
    contact can be reached in writing."""
    if method in (ConsentMethod.LETTER, ConsentMethod.EMAIL):
        return f"consent_contact/{method.value}"
    return "consent_contact"


def _providers(items: list[PlanItem]) -> list[tuple[str, dict[str, str]]]:
    """One notification per provider, listing only that provider's items."""
    by_provider: dict[str, list[PlanItem]] = defaultdict(list)
    for item in items:
        by_provider[item.provider_id].append(item)
    return [
        (
            f"{Audience.INTERVENTION_PROVIDER.value}@{provider}",
            {
                "item_count": str(len(mine)),
                "interventions": ", ".join(sorted({i.intervention.value for i in mine})),
                "item_ids": ",".join(str(i.item_id) for i in mine),
            },
        )
        for provider, mine in sorted(by_provider.items())
    ]


def _common_params(event: DomainEvent) -> dict[str, str]:
    params = {"reference": event.reference, "due": "not yet set"}
    for name in _DUE_FIELDS:
        value = getattr(event, name, None)
        if isinstance(value, datetime):
            params["due"] = value.strftime("%d %B %Y")
            break
    meeting_at = getattr(event, "meeting_at", None)
    if isinstance(meeting_at, datetime):
        local = meeting_at.astimezone(_UK)
        params["meeting"] = f"{local:%d %B %Y} at {local:%H:%M}"
    for name in ("months", "revision"):
        if (value := getattr(event, name, None)) is not None:
            params[name] = str(value)
    return params


def _escalation_params(event: DomainEvent, at: datetime | None) -> dict[str, str]:
    """When the escalation was made and how overdue the work was then."""
    at = at or datetime.now(UTC)
    due = getattr(event, "due_at", None)
    late = at - due if isinstance(due, datetime) else timedelta(0)
    return {"escalated": at.astimezone(_UK).strftime("%d %B %Y"), "overdue": how_late(late)}


def how_late(late: timedelta) -> str:
    """`late` in words a supervisor reads at a glance: whole days, else whole hours."""
    if late.days >= 1:
        return f"{late.days} day{'s' if late.days > 1 else ''}"
    hours = int(late.total_seconds() // 3600)
    if hours >= 1:
        return f"{hours} hour{'s' if hours > 1 else ''}"
    return "less than an hour"
