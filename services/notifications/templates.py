"""One template per notification. Texts name the case by its reference and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Any

_FOOTER = "\n\nThis is an automated message from the Prevent case service. Do not reply."
# Asking for an answer, a message must not then say "do not reply": it says how to answer.
_ANSWER_ONLINE = (
    "\n\nThis message is sent by the Prevent case service, which does not read replies to it."
    " Please answer online, using the link above."
)
_LETTER_FOOTER = "\n\nThis letter was sent by the Prevent case service."


@dataclass(frozen=True)
class Template:
    """A subject and a plain-text body with `{param}` placeholders, and the closing words."""

    subject: str
    body: str
    footer: str = _FOOTER

    def placeholders(self) -> set[str]:
        """The parameters the texts use."""
        texts = (self.subject, self.body)
        return {name for text in texts for _, name, _, _ in Formatter().parse(text) if name}


@dataclass(frozen=True)
class Rendered:
    """A template filled in for one notification."""

    template: str
    subject: str
    body: str
    params: dict[str, str]


TEMPLATES: dict[str, Template] = {
    "referral_acknowledgement": Template(
        "Referral {reference} received",
        "Thank you. Your Prevent referral has been received and given the reference "
        "{reference}. Quote it in any contact about this referral.",
    ),
    "case_closed": Template(
        "Referral {reference}: closed",
        "The Prevent referral {reference} has been closed. Thank you for making it.",
    ),
    "assessment_task_new": Template(
        "New gateway assessment: {reference}",
        "Referral {reference} is waiting for a gateway assessment (due {due}).",
    ),
    "new_information_received": Template(
        "New information from the referrer: {reference}",
        "The agency that made referral {reference} has sent new information about it. Sign in"
        " to the Prevent case service to read it; a review task is in your inbox, and you may"
        " reassess the case.",
    ),
    "case_placed_in_area": Template(
        "Referral {reference} placed in your area",
        "Referral {reference} arrived without a known area and has been placed in yours; "
        "its open tasks are now in your inbox.",
    ),
    "transfer_requested": Template(
        "Transfer to your area waiting: {reference}",
        "Another area has asked to transfer case {reference} to yours. Sign in to the Prevent "
        "case service to read the case and accept or decline the transfer; until you do, the "
        "case stays with the area that asked.",
    ),
    "transfer_declined": Template(
        "Transfer declined: {reference}",
        "The area you asked to take case {reference} has declined the transfer. The case stays "
        "with your area; sign in to the Prevent case service to see their reason.",
    ),
    "assessment_reminder": Template(
        "Reminder: gateway assessment {reference} due {due}",
        "The gateway assessment of referral {reference} is due on {due}.",
    ),
    "assessment_overdue": Template(
        "Overdue: gateway assessment {reference}",
        "The gateway assessment of referral {reference} was due on {due} and is overdue. "
        "This has been escalated to the area team.",
    ),
    # To the area's supervisors; the same words serve the officers told in their place.
    "assessment_escalation": Template(
        "Escalation: gateway assessment {reference} is overdue",
        "The gateway assessment of referral {reference} was due on {due} and has not been "
        "recorded. When it was escalated, on {escalated}, it was {overdue} overdue.\n\n"
        "Escalations go to the area's Prevent supervisors, or to its Prevent officers where "
        "the notification directory lists no supervisors for the area. Sign in to the Prevent "
        "case service to see the task and who it is assigned to.",
    ),
    "police_review_due": Template(
        "Police-led review due: {reference}",
        "The police-led case {reference} is due its review on {due}.",
    ),
    "consent_request": Template(
        "Support is being offered: reference {reference}",
        "Your local Channel coordinator would like to talk with you about support that is "
        "available. Taking part is voluntary. Please tell us by {due} whether you agree.\n\n"
        "You can answer online at {link}\nYou will be asked for the reference {reference} "
        "and the date of birth of the person the support is for. The link works once and "
        "expires on {link_expires}.",
        _ANSWER_ONLINE,
    ),
    "consent_reminder": Template(
        "Reminder: support offer {reference}",
        "We have not yet heard from you about the support offered under reference "
        "{reference}. Please tell us by {due} whether you agree.\n\nYou can answer online "
        "at {link}\nThis link replaces any we sent before. It works once and expires on "
        "{link_expires}.",
        _ANSWER_ONLINE,
    ),
    # By post (the request was made by letter): the address carries the link's one-time code.
    "consent_request_letter": Template(
        "Support is being offered: reference {reference}",
        "Your local Channel coordinator would like to talk with you about support that is "
        "available. Taking part is voluntary. Please tell us by {due} whether you agree.\n\n"
        "To answer, go to this address, typing it exactly as printed (it holds a one-time "
        "code):\n{link}\nYou will be asked for the reference {reference} and the date of "
        "birth of the person the support is for. The address works once and until "
        "{link_expires}.",
        _LETTER_FOOTER,
    ),
    "consent_reminder_letter": Template(
        "Reminder: support offer {reference}",
        "We have not yet heard from you about the support offered under reference "
        "{reference}. Please tell us by {due} whether you agree.\n\nTo answer, go to this "
        "address, typing it exactly as printed (it holds a one-time code):\n{link}\nIt "
        "replaces the address in any letter we sent before, works once and until "
        "{link_expires}.",
        _LETTER_FOOTER,
    ),
    "consent_reassessment_due": Template(
        "Reassessment due: {reference}",
        "Case {reference} must be reassessed by the panel because consent was not given.",
    ),
    "plan_items_assigned": Template(
        "Support plan items assigned: {reference}",
        "Revision {revision} of the support plan for case {reference} assigns you "
        "{item_count} item(s): {interventions}.",
    ),
    "support_review_due": Template(
        "Support review due: {reference}",
        "The support plan of case {reference} is due its review on {due}.",
    ),
    "support_review_overdue": Template(
        "Overdue: support review {reference}",
        "The support review of case {reference} was due on {due} and is overdue.",
    ),
    "post_exit_review_due": Template(
        "{months}-month post-exit review due: {reference}",
        "Case {reference} is due its {months}-month post-exit review on {due}.",
    ),
    "post_exit_review_overdue": Template(
        "Overdue: {months}-month post-exit review {reference}",
        "The {months}-month post-exit review of case {reference} was due on {due} and is "
        "overdue. It must not be missed.",
    ),
    "panel_meeting_invitation": Template(
        "Channel panel meeting {meeting}: {reference}",
        "A Channel panel meeting is scheduled for {meeting}. Case {reference} is to be "
        "considered. Sign in to the Prevent case service to see the meeting.",
    ),
    "panel_agenda": Template(
        "Agenda published: panel meeting {meeting}",
        "The agenda of the Channel panel meeting on {meeting} has been published. Case "
        "{reference} is on it. Sign in to the Prevent case service to read the agenda.",
    ),
}


class TemplateError(KeyError):
    """A template is unknown or lacks a parameter."""


def render(name: str, params: dict[str, Any]) -> Rendered:
    """Fill in template `name`; every placeholder must have a parameter."""
    template = TEMPLATES.get(name)
    if template is None:
        raise TemplateError(f"unknown template {name}")
    missing = template.placeholders() - params.keys()
    if missing:
        raise TemplateError(f"template {name} lacks {sorted(missing)}")
    values = {key: str(value) for key, value in params.items()}
    return Rendered(
        template=name,
        subject=template.subject.format(**values),
        body=template.body.format(**values) + template.footer,
        params=values,
    )
