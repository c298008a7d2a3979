"""The vulnerability assessment framework: 22 factors in 3 dimensions (engagement, intent,
capability), as the Channel guidance lists them."""

from __future__ import annotations

from enum import StrEnum


class Dimension(StrEnum):
    """The three dimensions of the framework."""

    ENGAGEMENT = "engagement"
    INTENT = "intent"
    CAPABILITY = "capability"


class Rating(StrEnum):
    """How strongly a factor is present."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


FACTORS: dict[str, tuple[Dimension, str]] = {
    "grievance_injustice": (Dimension.ENGAGEMENT, "Feelings of grievance and injustice"),
    "under_threat": (Dimension.ENGAGEMENT, "Feeling under threat"),
    "identity_meaning_belonging": (
        Dimension.ENGAGEMENT,
        "Need for identity, meaning and belonging",
    ),
    "status": (Dimension.ENGAGEMENT, "Desire for status"),
    "excitement_adventure": (Dimension.ENGAGEMENT, "Desire for excitement and adventure"),
    "dominate_control": (Dimension.ENGAGEMENT, "Need to dominate and control"),
    "susceptibility_indoctrination": (Dimension.ENGAGEMENT, "Susceptibility to indoctrination"),
    "political_moral_change": (Dimension.ENGAGEMENT, "Desire for political or moral change"),
    "opportunistic_involvement": (Dimension.ENGAGEMENT, "Opportunistic involvement"),
    "family_friends_involvement": (
        Dimension.ENGAGEMENT,
        "Family or friends involvement in extremism",
    ),
    "transitional_time": (Dimension.ENGAGEMENT, "Being at a transitional time of life"),
    "group_influence_control": (
        Dimension.ENGAGEMENT,
        "Being influenced or controlled by a group",
    ),
    "mental_health": (Dimension.ENGAGEMENT, "Relevant mental health issues"),
    "over_identification": (Dimension.INTENT, "Over-identification with a group or ideology"),
    "them_and_us": (Dimension.INTENT, "Them-and-us thinking"),
    "dehumanisation": (Dimension.INTENT, "Dehumanisation of the enemy"),
    "attitudes_justify_offending": (Dimension.INTENT, "Attitudes that justify offending"),
    "harmful_means": (Dimension.INTENT, "Harmful means to an end"),
    "harmful_objectives": (Dimension.INTENT, "Harmful objectives"),
    "knowledge_skills": (Dimension.CAPABILITY, "Individual knowledge, skills and competencies"),
    "networks_funding_equipment": (
        Dimension.CAPABILITY,
        "Access to networks, funding or equipment",
    ),
    "criminal_capability": (Dimension.CAPABILITY, "Criminal capability"),
}


def dimension_of(factor: str) -> Dimension:
    """The dimension a factor belongs to."""
    return FACTORS[factor][0]
