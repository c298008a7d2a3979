"""The decisions an officer sends on a case, each a form, a check page and one API call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.web.forms import Field


@dataclass(frozen=True)
class Decision:
    """One kind of decision: its questions, and which allowed action it needs."""

    slug: str  # the API path segment under /v1/cases/{reference}/
    title: str
    action: str  # the name in the case's `allowed_actions`
    fields: tuple[Field, ...]
    button: str
    done: str  # the confirmation panel's title
    # Where the answers go when it is not `slug` (e.g. "consent/request"), and how they become
    # the API's body when it is not one string per question (numbers, yes/no, nested plans).
    api_path: str | None = None
    to_body: Callable[[Mapping[str, str]], dict[str, Any]] | None = None

    def body(self, values: Mapping[str, str]) -> dict[str, Any]:
        """The API request body from the checked answers."""
        if self.to_body is not None:
            return self.to_body(values)
        return {q.name: values[q.name] for q in self.fields if q.asked(values)}


OUTCOMES = (
    ("NO_FURTHER_ACTION", "No further action"),
    ("SIGNPOSTED", "Signpost to another service"),
    ("POLICE_LED", "Police-led case management"),
    ("ESCALATED_TO_PURSUE", "Escalate to Pursue (counter-terrorism investigation)"),
    ("REFERRED_TO_CHANNEL", "Refer to a Channel panel"),
)
SERVICES = (
    ("childrens_social_care", "Children's social care"),
    ("adult_social_care", "Adult social care"),
    ("mental_health", "Mental health services"),
    ("early_help", "Early help"),
    ("education", "Education"),
    ("other", "Another service"),
)
DECONFLICTION = (
    ("no_live_interest", "No live counter-terrorism interest"),
    ("live_interest", "Live counter-terrorism interest"),
)

GATEWAY = Decision(
    slug="gateway-assessment",
    title="Gateway assessment",
    action="record_gateway_assessment",
    button="Continue",
    done="Gateway assessment recorded",
    fields=(
        Field(
            "deconfliction",
            "Deconfliction result",
            "radios",
            "Select the deconfliction result",
            hint="Police only. Never shown to panel members or partners.",
            options=DECONFLICTION,
        ),
        Field(
            "database_checks",
            "Database checks",
            "textarea",
            "Enter the database checks made and what they found",
            hint="Police only.",
        ),
        Field("outcome", "Outcome", "radios", "Select an outcome", options=OUTCOMES),
        Field(
            "signposted_to",
            "Service signposted to",
            "radios",
            "Select the service the case is signposted to",
            options=SERVICES,
            only_when=("outcome", "SIGNPOSTED"),
        ),
        Field("reasons", "Reasons for the outcome", "textarea", "Enter the reasons"),
    ),
)

POLICE_REVIEW = Decision(
    slug="police-reviews",
    title="Police-led review",
    action="record_police_review",
    button="Continue",
    done="Police-led review recorded",
    fields=(
        Field(
            "decision",
            "Decision",
            "radios",
            "Select a decision",
            options=(
                ("continue", "Continue police-led case management"),
                ("close", "Close the case"),
                ("refer_to_channel", "Refer to a Channel panel"),
            ),
        ),
        Field("notes", "Notes", "textarea", "Enter notes on the review"),
    ),
)

INFORMATION = Decision(
    slug="information",
    title="New information",
    action="add_information",
    button="Continue",
    done="New information recorded: the case is back in gateway assessment",
    fields=(
        Field(
            "summary",
            "What is the new information?",
            "textarea",
            "Enter a summary of the new information",
            hint="The case goes back to gateway assessment for a reassessment. During support"
            " or after exit its plan, consent and review dates are kept while you reassess.",
        ),
    ),
)

TRANSFER = Decision(
    slug="transfer",
    title="Transfer to another area",
    action="transfer_case",
    button="Continue",
    done="Transfer requested",
    fields=(
        Field(
            "to_area",
            "Area code",
            "input",
            "Enter the code of the area to transfer to",
            hint="The local authority's ONS code, for example E08000035.",
            max_length=100,
        ),
        Field(
            "reason",
            "Reason for the transfer",
            "textarea",
            "Enter the reason",
            hint="The receiving area reads it before it accepts the case.",
        ),
    ),
)

# The receiving area's answer, given on the case page while a transfer waits for it.
TRANSFER_ANSWER = (
    Field(
        "answer",
        "Will your area take this case?",
        "radios",
        "Select whether your area accepts the transfer",
        options=(
            ("accept", "Yes, accept the transfer: the case and its history become ours"),
            ("decline", "No, decline the transfer: the case stays where it is"),
        ),
    ),
    Field(
        "reason",
        "Why are you declining?",
        "textarea",
        "Enter why you are declining the transfer",
        hint="Only if you decline. It is kept on the case for the sending area.",
        only_when=("answer", "decline"),
    ),
)

DECISIONS = {d.slug: d for d in (GATEWAY, POLICE_REVIEW, INFORMATION, TRANSFER)}
