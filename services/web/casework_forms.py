"""The Channel chair's casework, each a `Decision`: its questions and the panel API's body."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from safeguard.codes import EXIT_REASON_TEXT
from services.web.decisions import SERVICES, Decision
from services.web.forms import Field

YES_NO = (("yes", "Yes"), ("no", "No"))
METHODS = (
    ("in_person", "In person"),
    ("letter", "Letter"),
    ("email", "Email"),
    ("phone", "Phone"),
)
ROUTES = (
    ("person", "The person (18 or over)"),
    ("guardian", "A parent or guardian (under 18)"),
    ("best_interests", "In the person's best interests (they lack capacity)"),
)
INTERVENTIONS = (
    ("educational", "Educational"),
    ("vocational", "Vocational"),
    ("mental_health", "Mental health"),
    ("substance_misuse", "Substance misuse"),
    ("online_safety", "Online safety"),
    ("ideological_mentoring", "Ideological mentoring"),
    ("theological_mentoring", "Theological mentoring"),
    ("other", "Other"),
)
FREQUENCIES = (
    ("weekly", "Weekly"),
    ("fortnightly", "Fortnightly"),
    ("monthly", "Monthly"),
    ("as_needed", "As needed"),
)
# Why support ended, in the words the chronology uses (a sentence's first word capitalised).
EXIT_REASONS = tuple(
    (code.value, text[:1].upper() + text[1:])
    for code, text in EXIT_REASON_TEXT.items()
    if code is not None
)
RATINGS = (("none", "None"), ("low", "Low"), ("medium", "Medium"), ("high", "High"))
DIMENSIONS = ("engagement", "intent", "capability")


def _set(values: Mapping[str, str], *names: str) -> dict[str, Any]:
    """The answers given (optional ones left blank are not sent)."""
    return {name: values[name] for name in names if values.get(name)}


def _interventions(value: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if v} for row in json.loads(value or "[]")]


def _plan(values: Mapping[str, str]) -> dict[str, Any]:
    return {"interventions": _interventions(values.get("interventions", ""))} | _set(
        values, "consent_arrangements"
    )


PROVIDER_FIELD = "provider_id"
INTERVENTION_FIELD = Field(
    "interventions",
    "Intervention",
    "repeated",
    "Enter at least one intervention",
    hint="Leave a row blank if you do not need it.",
    parts=(
        Field("type", "Type of intervention", "select", "Select the type", options=INTERVENTIONS),
        Field(
            PROVIDER_FIELD,
            "Provider",
            "select",
            "Select the provider",
            hint="An approved provider for the case's area (from the provider register).",
            max_length=100,
        ),
        Field("frequency", "How often", "select", "Select how often", options=FREQUENCIES),
        Field("start", "Start date", "date", "Enter the start date"),
        Field("end", "End date (optional)", "date", "Enter the end date", required=False),
    ),
)
CONSENT_ARRANGEMENTS = Field(
    "consent_arrangements",
    "How consent is asked (optional)",
    "textarea",
    "Enter how consent is asked",
    required=False,
)

INFORMATION_REQUEST = Decision(
    slug="information-request",
    api_path="information-requests",
    title="Ask a partner agency for information",
    action="",
    button="Continue",
    done="Information requested",
    fields=(
        Field(
            "agency",
            "Agency",
            "input",
            "Enter the agency",
            hint="For example education, health or children's services.",
            max_length=100,
        ),
        Field("question", "What do you need to know?", "textarea", "Enter your question"),
        Field("due_by", "Reply needed by (optional)", "date", "Enter a date", required=False),
    ),
    to_body=lambda v: _set(v, "agency", "question", "due_by"),
)

CONSENT_REQUEST = Decision(
    slug="consent-request",
    api_path="consent/request",
    title="Ask for consent",
    action="request_consent",
    button="Continue",
    done="Consent requested",
    fields=(
        Field(
            "route",
            "Whose consent is asked?",
            "radios",
            "Select whose consent is asked",
            hint="A person under 18 is asked through a parent or guardian.",
            options=ROUTES,
        ),
        Field(
            "best_interests_reason",
            "Why is the decision made in their best interests?",
            "textarea",
            "Enter why the decision is made in their best interests",
            only_when=("route", "best_interests"),
        ),
        Field("method", "How is consent asked?", "radios", "Select how", options=METHODS),
    ),
    to_body=lambda v: _set(v, "route", "method", "best_interests_reason"),
)

CONSENT_ANSWER = Decision(
    slug="consent-answer",
    api_path="consent/answer",
    title="Record the answer to the consent request",
    action="record_consent",
    button="Continue",
    done="Consent answer recorded",
    fields=(
        Field(
            "decision",
            "What was the answer?",
            "radios",
            "Select the answer",
            hint="The answer is recorded as given by whoever consent was asked of.",
            options=(("given", "Consent given"), ("refused", "Consent refused")),
        ),
        Field(
            "scope",
            "What was consent given to?",
            "textarea",
            "Enter what consent was given to",
            only_when=("decision", "given"),
        ),
        Field(
            "method",
            "How did the answer come?",
            "radios",
            "Select how the answer came",
            options=METHODS,
        ),
        Field(
            "answered_by",
            "Who answered?",
            "radios",
            "Select who answered",
            options=(
                ("person", "The person referred"),
                ("parent_or_guardian", "A parent or guardian"),
            ),
        ),
    ),
    to_body=lambda v: _set(v, "decision", "scope", "method", "answered_by"),
)

CONSENT_WITHDRAWAL = Decision(
    slug="consent-withdrawal",
    api_path="consent/withdrawal",
    title="Record that consent is withdrawn",
    action="withdraw_consent",
    button="Continue",
    done="Consent withdrawal recorded",
    fields=(
        Field(
            "notes",
            "Notes (optional)",
            "textarea",
            "Enter notes",
            hint="Support stops, and the panel reassesses the case later.",
            required=False,
        ),
    ),
    to_body=lambda v: _set(v, "notes"),
)

CHANNEL_REFERRAL = Decision(
    slug="channel-referral",
    api_path="channel-referral",
    title="Refer to Channel",
    action="refer_to_channel",
    button="Continue",
    done="Case referred to Channel",
    fields=(
        Field(
            "reasons",
            "Why does the local authority refer the case to Channel?",
            "textarea",
            "Enter why the case is referred to Channel",
            hint="The local authority may refer a case while the police assess it. Give the"
            " reasonable grounds to believe the person is vulnerable to being drawn into"
            " terrorism.",
        ),
    ),
)

NEW_INFORMATION = Decision(
    slug="information",
    api_path="information",
    title="New information",
    action="add_information",
    button="Continue",
    done="New information recorded: the police reassess the case",
    fields=(
        Field(
            "summary",
            "What is the new information?",
            "textarea",
            "Enter a summary of the new information",
            hint="The police reassess the case. During support or after exit the plan, consent"
            " and review dates are kept while they do, and go on if they find no further action.",
        ),
    ),
)

REASSESSMENT_PERIOD = Decision(
    slug="consent-reassessment-period",
    api_path="consent/reassessment-period",
    title="Choose when the case is reassessed",
    action="set_reassessment_period",
    button="Continue",
    done="Reassessment period recorded",
    fields=(
        Field(
            "days",
            "When does the panel reassess the case?",
            "input",
            "Enter the number of days",
            numeric=True,
            suffix="days",
        ),
    ),
    to_body=lambda v: {"days": int(v["days"])},
)

REASSESSMENT = Decision(
    slug="consent-reassessment",
    api_path="consent/reassessment",
    title="Reassess the case without consent",
    action="reassess_after_refusal",
    button="Continue",
    done="Reassessment recorded",
    fields=(
        Field(
            "decision",
            "What does the panel decide?",
            "radios",
            "Select what the panel decides",
            options=(
                ("request_consent_again", "Ask for consent again"),
                ("signpost", "Signpost to another service"),
                ("close", "Close the case"),
            ),
        ),
        Field(
            "signposted_to",
            "Service signposted to",
            "radios",
            "Select the service",
            options=SERVICES,
            only_when=("decision", "signpost"),
        ),
        Field("notes", "Reasons", "textarea", "Enter the reasons"),
    ),
    to_body=lambda v: _set(v, "decision", "signposted_to", "notes"),
)


def _decision_body(v: Mapping[str, str]) -> dict[str, Any]:
    adopted = v["adopted"] == "yes"
    body: dict[str, Any] = {
        "meeting_id": v["meeting_id"],
        "adopted": adopted,
        "basis": v["basis"],
        "votes_for": int(v["votes_for"]),
        "votes_against": int(v["votes_against"]),
        "reasons": v["reasons"],
        "health_or_social_care_considered": "yes" in v.get("health_or_social_care", ""),
    }
    return body | ({"plan": _plan(v)} if adopted else {})


PANEL_DECISION = Decision(
    slug="decision",
    api_path="decision",
    title="Record the panel's decision",
    action="record_panel_decision",
    button="Continue",
    done="Panel decision recorded",
    fields=(
        Field(
            "meeting_id",
            "At which meeting was the decision taken?",
            "radios",
            "Select the meeting",
            hint="Meetings that have taken place, with their attendance recorded. Attendees"
            " and declared conflicts come from the meeting's record.",
            max_length=100,
        ),
        Field("adopted", "Is the case adopted?", "radios", "Select yes or no", options=YES_NO),
        Field(
            "basis",
            "How was the decision reached?",
            "radios",
            "Select how the decision was reached",
            options=(
                ("unanimous", "Unanimously"),
                ("majority", "By majority"),
                ("chair_casting_vote", "By the chair's casting vote (the votes were tied)"),
            ),
        ),
        Field("votes_for", "Votes for adoption", "input", "Enter the votes for", numeric=True),
        Field("votes_against", "Votes against", "input", "Enter the votes against", numeric=True),
        Field("reasons", "Reasons for the decision", "textarea", "Enter the reasons"),
        Field(
            "health_or_social_care",
            "Health and social care",
            "checkboxes",
            "Confirm that referral to health or social care was considered",
            options=(("yes", "The panel considered a referral to health or social care"),),
            only_when=("adopted", "no"),
        ),
        replace(INTERVENTION_FIELD, only_when=("adopted", "yes")),
        replace(CONSENT_ARRANGEMENTS, only_when=("adopted", "yes")),
    ),
    to_body=_decision_body,
)

SUPPORT_PLAN = Decision(
    slug="support-plan",
    api_path="support-plan",
    title="Revise the support plan",
    action="revise_support_plan",
    button="Continue",
    done="Support plan revised",
    fields=(INTERVENTION_FIELD, CONSENT_ARRANGEMENTS),
    to_body=_plan,
)


def _review_body(v: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"decision": v["decision"], "notes": v["notes"]}
    if v["decision"] == "exit":
        notes = v.get("exit_reason_notes")
        body["exit_reason"] = {"code": v["exit_reason"]} | ({"notes": notes} if notes else {})
    return body | ({"plan": _plan(v)} if v["decision"] == "revise" else {})


SUPPORT_REVIEW = Decision(
    slug="support-review",
    api_path="support-reviews",
    title="Monthly support review",
    action="record_support_review",
    button="Continue",
    done="Support review recorded",
    fields=(
        Field(
            "decision",
            "What does the review decide?",
            "radios",
            "Select what the review decides",
            options=(
                ("continue", "Continue the plan"),
                ("revise", "Revise the plan"),
                ("exit", "Exit: support ends"),
            ),
        ),
        Field(
            "exit_reason",
            "Why does support end?",
            "radios",
            "Select why support ends",
            options=EXIT_REASONS,
            only_when=("decision", "exit"),
        ),
        Field(
            "exit_reason_notes",
            "More about why support ends (optional)",
            "textarea",
            "Enter more about why support ends",
            hint="Needed if you chose another reason. Kept with the review, never sent to"
            " other services.",
            required=False,
            only_when=("decision", "exit"),
        ),
        Field("notes", "Notes", "textarea", "Enter notes on the review"),
        replace(INTERVENTION_FIELD, only_when=("decision", "revise")),
        replace(CONSENT_ARRANGEMENTS, only_when=("decision", "revise")),
    ),
    to_body=_review_body,
)

POST_EXIT_REVIEW = Decision(
    slug="post-exit-review",
    api_path="post-exit-reviews",
    title="Post-exit review",
    action="record_post_exit_review",
    button="Continue",
    done="Post-exit review recorded",
    fields=(
        # The case's own reviews (its policy's months) are offered once their window opens.
        Field("months", "Which review is this?", "radios", "Select which review this is"),
        Field(
            "concerns",
            "Are there new concerns?",
            "radios",
            "Select yes or no",
            hint="New concerns re-open the case. The last review without them closes it.",
            options=YES_NO,
        ),
        Field("notes", "Notes", "textarea", "Enter notes on the review"),
    ),
    to_body=lambda v: {
        "months": int(v["months"]),
        "concerns": v["concerns"] == "yes",
        "notes": v["notes"],
    },
)


def assessment(factors: Sequence[Mapping[str, str]]) -> Decision:
    """The vulnerability assessment, from the framework the panel API lists (`/v1/factors`)."""
    fields: list[Field] = [
        Field(
            "summary",
            "Summary (optional)",
            "textarea",
            "Enter a summary",
            required=False,
        ),
        Field(
            "meeting_id",
            "Which meeting made the assessment? (optional)",
            "radios",
            "Select the meeting",
            hint="Leave this out if the assessment was not made at a meeting.",
            required=False,
            max_length=100,
        ),
    ]
    for dimension in DIMENSIONS:
        for factor in (f for f in factors if f["dimension"] == dimension):
            fields += [
                Field(
                    f"{factor['factor']}-rating",
                    factor["label"],
                    "radios",
                    f"Select a rating for {factor['label'].lower()}",
                    options=RATINGS,
                    section=dimension,
                    inline=True,
                ),
                Field(
                    f"{factor['factor']}-notes",
                    f"Rationale: {factor['label'].lower()}",
                    "textarea",
                    f"Enter the rationale for {factor['label'].lower()}",
                    section=dimension,
                ),
            ]
    names = [f["factor"] for f in factors]

    def body(v: Mapping[str, str]) -> dict[str, Any]:
        rated = {n: {"rating": v[f"{n}-rating"], "notes": v[f"{n}-notes"]} for n in names}
        return _set(v, "summary", "meeting_id") | {"factors": rated}

    return Decision(
        slug="vulnerability-assessment",
        api_path="vulnerability-assessments",
        title="Vulnerability assessment",
        action="",
        button="Continue",
        done="Vulnerability assessment recorded",
        fields=tuple(fields),
        to_body=body,
    )


ASSESSMENT_SLUG = "vulnerability-assessment"
# Forms that are steps of the workflow appear on the case page when its `allowed_actions` name
# them; the panel's own records (requests, assessments) while the panel considers the case.
CASEWORK = {
    d.slug: d
    for d in (
        CHANNEL_REFERRAL,
        INFORMATION_REQUEST,
        CONSENT_REQUEST,
        CONSENT_ANSWER,
        CONSENT_WITHDRAWAL,
        REASSESSMENT_PERIOD,
        REASSESSMENT,
        PANEL_DECISION,
        SUPPORT_PLAN,
        SUPPORT_REVIEW,
        POST_EXIT_REVIEW,
        NEW_INFORMATION,
    )
}
RECORD_STAGES = frozenset({"CONSENT_PENDING", "CONSENT_REFUSED", "PANEL_CONSIDERATION"})


def exit_reason_words(code: str | None) -> str | None:
    """Why support ended, in words (None before exit; exits from before reasons: unrecorded)."""
    if code is None:
        return None
    return dict(EXIT_REASONS).get(code, "Not recorded")


NO_PROVIDERS = (
    "No approved provider is registered for this case's area: ask whoever keeps the provider"
    " register to add one."
)


def with_providers(decision: Decision, providers: Sequence[tuple[str, str]]) -> Decision:
    """The form with its plan's provider question offering the register's usable providers
    for the case, (id, name) each."""
    hint = None if providers else NO_PROVIDERS

    def offered(part: Field) -> Field:
        if part.name != PROVIDER_FIELD:
            return part
        return replace(part, options=tuple(providers), hint=hint or part.hint)

    fields = tuple(
        replace(f, parts=tuple(offered(p) for p in f.parts)) if f.kind == "repeated" else f
        for f in decision.fields
    )
    return replace(decision, fields=fields)
