"""Codes of the Prevent and Channel domain shared by workflows, services and events."""

from __future__ import annotations

from enum import StrEnum

# The area of a case whose area was not known at intake (neither the form nor the referring
# agency gave one). No officer's token covers it: such cases wait in the triage queue until a
# Prevent officer places them in an area.
UNASSIGNED_AREA = "unassigned"


class Stage(StrEnum):
    """Where a case stands in the lifecycle."""

    SUBMITTED = "SUBMITTED"
    GATEWAY_ASSESSMENT = "GATEWAY_ASSESSMENT"
    POLICE_LED = "POLICE_LED"
    CONSENT_PENDING = "CONSENT_PENDING"
    CONSENT_REFUSED = "CONSENT_REFUSED"
    PANEL_CONSIDERATION = "PANEL_CONSIDERATION"
    SUPPORT_ACTIVE = "SUPPORT_ACTIVE"
    POST_EXIT_REVIEW = "POST_EXIT_REVIEW"
    CLOSED = "CLOSED"
    REDACTED = "REDACTED"


class Role(StrEnum):
    """Who may act, as in the Channel duty guidance."""

    PARTNER_REFERRER = "partner_referrer"
    PREVENT_OFFICER = "prevent_officer"
    CHANNEL_CHAIR = "channel_chair"
    PANEL_MEMBER = "panel_member"
    INTERVENTION_PROVIDER = "intervention_provider"
    PERSON_OR_GUARDIAN = "person_or_guardian"
    AUDITOR = "auditor"
    OPERATOR = "operator"


class GatewayOutcome(StrEnum):
    """The outcome of a police gateway assessment."""

    NO_FURTHER_ACTION = "NO_FURTHER_ACTION"
    SIGNPOSTED = "SIGNPOSTED"
    POLICE_LED = "POLICE_LED"
    ESCALATED_TO_PURSUE = "ESCALATED_TO_PURSUE"
    REFERRED_TO_CHANNEL = "REFERRED_TO_CHANNEL"


class SignpostService(StrEnum):
    """Services a case may be signposted to."""

    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    ADULT_SOCIAL_CARE = "adult_social_care"
    MENTAL_HEALTH = "mental_health"
    EARLY_HELP = "early_help"
    EDUCATION = "education"
    OTHER = "other"


class ClosureReason(StrEnum):
    """Why a case closed; retention is configured per reason."""

    NO_FURTHER_ACTION = "NO_FURTHER_ACTION"
    SIGNPOSTED = "SIGNPOSTED"
    ESCALATED_TO_PURSUE = "ESCALATED_TO_PURSUE"
    POLICE_LED_CLOSED = "POLICE_LED_CLOSED"
    CONSENT_NOT_GIVEN = "CONSENT_NOT_GIVEN"
    NOT_ADOPTED = "NOT_ADOPTED"
    SUPPORT_COMPLETED = "SUPPORT_COMPLETED"


class ConsentPolicy(StrEnum):
    """Whether consent is sought before the panel meets or after it adopts the case."""

    BEFORE_PANEL = "before_panel"
    AFTER_ADOPTION = "after_adoption"


class ConsentRoute(StrEnum):
    """Whose consent: the person (18+), a parent or guardian (under 18), or best interests."""

    PERSON = "person"
    GUARDIAN = "guardian"
    BEST_INTERESTS = "best_interests"


class ConsentMethod(StrEnum):
    """How a consent request was made; the written request goes the same way (a letter by
    post, an email by email)."""

    IN_PERSON = "in_person"
    LETTER = "letter"
    EMAIL = "email"
    PHONE = "phone"


class ConsentDecision(StrEnum):
    """What became of a consent request."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    NO_RESPONSE = "no_response"


class RefusalReassessment(StrEnum):
    """What the panel decides when it reassesses a case without consent."""

    REQUEST_CONSENT_AGAIN = "request_consent_again"
    SIGNPOST = "signpost"
    CLOSE = "close"


class DecisionBasis(StrEnum):
    """How the panel reached its decision."""

    UNANIMOUS = "unanimous"
    MAJORITY = "majority"
    CHAIR_CASTING_VOTE = "chair_casting_vote"


class InterventionType(StrEnum):
    """Kinds of Channel intervention."""

    EDUCATIONAL = "educational"
    VOCATIONAL = "vocational"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_MISUSE = "substance_misuse"
    ONLINE_SAFETY = "online_safety"
    IDEOLOGICAL_MENTORING = "ideological_mentoring"
    THEOLOGICAL_MENTORING = "theological_mentoring"
    OTHER = "other"


class ReviewDecision(StrEnum):
    """The outcome of a support review."""

    CONTINUE = "continue"
    REVISE = "revise"
    EXIT = "exit"


class ExitReason(StrEnum):
    """Why support ended (the Channel duty: vulnerability removed or significantly lessened, or
    support withdrawn). Consent withdrawn is not one: withdrawing consent is its own step."""

    VULNERABILITY_REMOVED = "vulnerability_removed"
    VULNERABILITY_LESSENED = "vulnerability_lessened"
    SUPPORT_WITHDRAWN_BY_PERSON = "support_withdrawn_by_person"
    MOVED_TO_OTHER_SUPPORT = "moved_to_other_support"
    ESCALATED_TO_PURSUE = "escalated_to_pursue"
    OTHER = "other"


# How each exit reason reads in chronologies and on pages; an exit recorded before reasons
# were (None) reads as not recorded.
EXIT_REASON_TEXT: dict[ExitReason | None, str] = {
    ExitReason.VULNERABILITY_REMOVED: "vulnerability removed",
    ExitReason.VULNERABILITY_LESSENED: "vulnerability significantly lessened",
    ExitReason.SUPPORT_WITHDRAWN_BY_PERSON: "the person withdrew from support",
    ExitReason.MOVED_TO_OTHER_SUPPORT: "moved to support from another service",
    ExitReason.ESCALATED_TO_PURSUE: "escalated to a counter-terrorism (Pursue) investigation",
    ExitReason.OTHER: "another reason",
    None: "reason not recorded",
}
