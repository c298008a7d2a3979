"""OpenAPI material for partners: example forms and every error a route may answer."""

from __future__ import annotations

from typing import Any

from fastapi.openapi.models import Example

from safeguard.errors import documented_problem

SCHOOL_REFERRAL: dict[str, Any] = {
    "referrer": {
        "name": "Alex Morgan",
        "role": "Designated safeguarding lead",
        "organisation": "Riverside Academy",
        "sector": "education",
        "email": "dsl@riverside.example.org",
        "phone": "0161 496 0000",
        "relationship_to_person": "Teacher",
    },
    "person": {
        "given_names": "Sam",
        "family_name": "Whitfield",
        "date_of_birth": "2010-03-14",
        "gender": "male",
        "address": {"line_1": "1 Example Street", "town": "Manchester", "postcode": "M1 1AA"},
        "languages": ["English"],
        "school_or_occupation": "Riverside Academy, year 10",
        "aware_of_referral": "no",
        "family_aware_of_referral": "yes",
    },
    "household_members": [
        {
            "given_names": "Jo",
            "family_name": "Whitfield",
            "relationship": "parent",
            "phone": "07700 900123",
        }
    ],
    "other_agencies": [{"name": "Manchester CAMHS", "service": "Child mental health"}],
    "concern": {
        "type": "mixed_unclear_unstable",
        "description": "Shared violent material with classmates and spoke admiringly of attacks.",
        "online_activity": "Posts in closed chat groups.",
        "special_educational_needs": True,
    },
    "area": "E08000003",
}

PUBLIC_REFERRAL: dict[str, Any] = {
    "referrer": {
        "name": "Chris Doe",
        "role": "Neighbour",
        "sector": "family_friend",
        "phone": "07700 900456",
    },
    "person": {"given_names": "Taylor", "family_name": "Roe", "date_of_birth": "2001-07-02"},
    "concern": {"type": "extreme_right_wing", "description": "Talks of joining a violent group."},
}

# What the documentation shows for the Idempotency-Key: words, not a key (spaces are refused).
IDEMPOTENCY_KEY_PLACEHOLDER = "<your new UUID for this referral>"

FORM_EXAMPLES = {
    "school": Example(summary="A school's referral with most fields", value=SCHOOL_REFERRAL),
    "public": Example(summary="The least a member of the public must give", value=PUBLIC_REFERRAL),
}


_UNAUTHORISED = documented_problem(
    "Missing, invalid, expired or revoked API key.",
    {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
)
_RATE_LIMITED = documented_problem(
    "This client's budget for this kind of request (submissions, or status reads: each has"
    " its own) is used up.",
    {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 1},
            "description": "Seconds to wait before trying again.",
        }
    },
)

SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Accepted and stored; a retry with the same Idempotency-Key (or, without"
        " one, the same body) answers the same again.",
        "headers": {
            "Location": {"schema": {"type": "string"}, "description": "The status URL."},
            "Idempotent-Replayed": {
                "schema": {"type": "string", "enum": ["true"]},
                "description": "Present when this answer repeats an earlier one.",
            },
        },
    },
    400: documented_problem("The body is not valid JSON."),
    401: _UNAUTHORISED,
    409: documented_problem(
        "A request with the same Idempotency-Key is being handled, or its referral was erased"
        " just now: retry."
    ),
    413: documented_problem("The body is larger than 64 KiB."),
    415: documented_problem("The body is not `application/json`."),
    422: documented_problem(
        "A field is missing, of the wrong type or out of range (each named in `errors`), or the"
        " Idempotency-Key was already used with a different body."
    ),
    429: _RATE_LIMITED,
}

STATUS_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _UNAUTHORISED,
    404: documented_problem("No referral of this client has that reference."),
    429: _RATE_LIMITED,
}

PARTNER_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _UNAUTHORISED,
    404: documented_problem("No referral of this client has that reference."),
    409: documented_problem("The referral is closed: it takes no more documents."),
    429: _RATE_LIMITED,
}

INFORMATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Stored, and the case's officers told; a retry with the same"
        " Idempotency-Key (or, without one, the same body) answers the same again.",
        "headers": {
            "Idempotent-Replayed": {
                "schema": {"type": "string", "enum": ["true"]},
                "description": "Present when this answer repeats an earlier one.",
            },
        },
    },
    401: _UNAUTHORISED,
    404: documented_problem("No referral of this client has that reference."),
    409: documented_problem(
        "The referral is closed (`The case has moved on`): a new concern is a new referral; or"
        " a request with the same Idempotency-Key is being handled: retry."
    ),
    413: documented_problem("The body is larger than 64 KiB."),
    415: documented_problem("The body is not `application/json`."),
    422: documented_problem(
        "A field is invalid (each named in `errors`), an attachment id is not one of your"
        " uploads to this referral (`Unknown attachments`), or the Idempotency-Key was already"
        " used with a different body."
    ),
    429: _RATE_LIMITED,
}
