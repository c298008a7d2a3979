"""Every role against every endpoint of the panel service: allowed or refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safeguard.codes import Role
from services.panel.app import create_app
from tests.panel.conftest import Pipeline
from tests.panel.driver import AREA, CHAIR, Staff, all_factors, provider_entry

CHAIR_ONLY = frozenset({Role.CHANNEL_CHAIR})
READERS = CHAIR_ONLY | {Role.PANEL_MEMBER, Role.AUDITOR}
ASKERS = CHAIR_ONLY | {Role.PREVENT_OFFICER}
TAKERS = ASKERS | {Role.PERSON_OR_GUARDIAN}
REPLIERS = CHAIR_ONLY | {Role.PANEL_MEMBER}
PROVIDER = frozenset({Role.INTERVENTION_PROVIDER})
MONITORS = CHAIR_ONLY | {Role.AUDITOR, Role.OPERATOR}
EVERYONE = frozenset(Role)
# Sent with every call: register changes then find the entry moved on (412), so every role
# meets the same register.
STALE = {"If-Match": '"99"'}
# A step on the case may also meet the workflow's rules (the case is in SUPPORT_ACTIVE).
DECIDED = frozenset({200, 409, 422})


@dataclass(frozen=True)
class Endpoint:
    """One route, a body for it, the roles it admits and what an admitted role may get."""

    method: str
    path: str
    allowed: frozenset[Role]
    body: dict[str, Any] | None = None
    admitted: frozenset[int] = frozenset({200})


ATTACHERS = REPLIERS | PROVIDER
ENDPOINTS = [
    Endpoint("GET", "/v1/queue", READERS),
    # Attachments (tests/attachments has the uploads themselves): a body that is not a form is
    # 415 and an unknown attachment 404, past the role and case checks.
    Endpoint("POST", "/v1/cases/{reference}/attachments", ATTACHERS, None, frozenset({415})),
    Endpoint("GET", "/v1/cases/{reference}/attachments", READERS | PROVIDER),
    Endpoint(
        "GET",
        "/v1/cases/{reference}/attachments/{attachment_id}",
        READERS | PROVIDER,
        None,
        frozenset({404}),
    ),
    Endpoint("GET", "/v1/cases/{reference}", READERS),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/information-requests",
        CHAIR_ONLY,
        {"agency": "health", "question": "Any contact with CAMHS?"},
        frozenset({201}),
    ),
    Endpoint("GET", "/v1/cases/{reference}/information-requests", READERS),
    # The chair answers first (roles go in order), so the member finds it answered.
    Endpoint(
        "POST",
        "/v1/information-requests/{request_id}/reply",
        REPLIERS,
        {"reply": "Attends weekly."},
        frozenset({200, 409}),
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/vulnerability-assessments",
        CHAIR_ONLY,
        {"factors": all_factors()},
        frozenset({201}),
    ),
    Endpoint("GET", "/v1/cases/{reference}/vulnerability-assessments", READERS),
    Endpoint("GET", "/v1/cases/{reference}/consent", READERS),
    Endpoint("GET", "/v1/cases/{reference}/meetings", READERS),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/consent/request",
        ASKERS,
        {"route": "guardian", "method": "letter"},
        DECIDED,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/consent/answer",
        TAKERS,
        {"decision": "given"},
        DECIDED,
    ),
    # Withdrawing would succeed here, so the body is invalid: admitted roles get 422.
    Endpoint(
        "POST",
        "/v1/cases/{reference}/consent/withdrawal",
        TAKERS,
        {"notes": ""},
        frozenset({422}),
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/consent/reassessment",
        CHAIR_ONLY,
        {"decision": "close", "notes": "No consent."},
        DECIDED,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/consent/reassessment-period",
        CHAIR_ONLY,
        {"days": 60},
        DECIDED,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/channel-referral",
        CHAIR_ONLY,
        {"reasons": "Known to children's services."},
        DECIDED,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/decision",
        CHAIR_ONLY,
        {
            "meeting_id": "{meeting_id}",
            "adopted": False,
            "basis": "unanimous",
            "votes_for": 0,
            "votes_against": 4,
            "reasons": "Already supported.",
            "health_or_social_care_considered": True,
        },
        DECIDED,
    ),
    # New information would send the supported case back to the police: an empty summary
    # keeps it in support for the routes after this one.
    Endpoint(
        "POST",
        "/v1/cases/{reference}/information",
        CHAIR_ONLY,
        {"summary": ""},
        frozenset({422}),
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/transfer",
        CHAIR_ONLY,
        {"to_area": AREA, "reason": "Moved."},
        DECIDED,
    ),
    # No transfer waits: 409, so the case stays where the matrix can see it.
    Endpoint("POST", "/v1/cases/{reference}/transfer/accept", CHAIR_ONLY, None, frozenset({409})),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/transfer/decline",
        CHAIR_ONLY,
        {"reason": "Not ours."},
        frozenset({409}),
    ),
    Endpoint("POST", "/v1/cases/{reference}/transfer/withdraw", CHAIR_ONLY, {}, frozenset({409})),
    Endpoint("GET", "/v1/transfers", READERS),
    Endpoint("GET", "/v1/cases/{reference}/support-plan", READERS),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/support-plan",
        CHAIR_ONLY,
        {"interventions": []},
        frozenset({422}),
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/support-reviews",
        CHAIR_ONLY,
        {"decision": "revise", "notes": "Without the plan the workflow refuses it."},
        DECIDED,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/post-exit-reviews",
        CHAIR_ONLY,
        {"months": 6, "concerns": False, "notes": "Fine."},
        DECIDED,
    ),
    Endpoint(
        "POST",
        "/v1/panels",
        CHAIR_ONLY,
        {"area": AREA, "name": "Second panel"},
        frozenset({201}),
    ),
    Endpoint("GET", "/v1/panels", READERS),
    Endpoint("GET", "/v1/panels/{panel_id}", READERS),
    Endpoint(
        "PUT",
        "/v1/panels/{panel_id}/members/{subject}",
        CHAIR_ONLY,
        {"agency": "probation"},
    ),
    Endpoint(
        "DELETE",
        "/v1/panels/{panel_id}/members/{subject}",
        CHAIR_ONLY,
        None,
        frozenset({200, 404}),
    ),
    Endpoint(
        "POST",
        "/v1/panels/{panel_id}/meetings",
        CHAIR_ONLY,
        {"scheduled_for": "2026-12-01T10:00:00Z", "agenda": ["{reference}"]},
        frozenset({201}),
    ),
    Endpoint("GET", "/v1/panels/{panel_id}/meetings", READERS),
    Endpoint("GET", "/v1/meetings/{meeting_id}", READERS),
    Endpoint("POST", "/v1/meetings/{meeting_id}/agenda", CHAIR_ONLY, {"reference": "{reference}"}),
    Endpoint("POST", "/v1/meetings/{meeting_id}/agenda/publish", CHAIR_ONLY),
    Endpoint(
        "PUT",
        "/v1/meetings/{meeting_id}/attendance",
        CHAIR_ONLY,
        {
            "attendees": [
                {"id": CHAIR, "agency": "local_authority"},
                {"id": "police-2", "agency": "police"},
                {"id": "school-9", "agency": "education"},
                {"id": "health-4", "agency": "health"},
            ]
        },
    ),
    Endpoint("GET", "/v1/cases/{reference}/providers", READERS),
    Endpoint("GET", "/v1/providers", READERS),
    Endpoint("GET", "/v1/providers/{provider_id}", READERS),
    # The register is left as it was for the next role: mentor-a is registered already (409)
    # and every If-Match sent is stale (412).
    Endpoint(
        "POST",
        "/v1/providers",
        CHAIR_ONLY,
        provider_entry("mentor-a"),
        frozenset({409}),
    ),
    Endpoint(
        "PUT",
        "/v1/providers/{provider_id}",
        CHAIR_ONLY,
        {k: v for k, v in provider_entry("x").items() if k != "id"},
        frozenset({412}),
    ),
    Endpoint("POST", "/v1/providers/{provider_id}/deactivate", CHAIR_ONLY, None, frozenset({412})),
    Endpoint("GET", "/v1/provider/items", PROVIDER),
    Endpoint("GET", "/v1/provider/items/{item_id}", PROVIDER),
    Endpoint(
        "POST",
        "/v1/provider/items/{item_id}/contacts",
        PROVIDER,
        {"held_on": "2026-12-08", "kind": "session", "attended": True},
        frozenset({201}),
    ),
    # The link is the credential: any token or none; an unknown link is 404 for everyone.
    Endpoint(
        "POST",
        "/public/v1/consent-links/{token}/verify",
        EVERYONE,
        {"reference": "{reference}", "date_of_birth": "2010-03-14"},
        frozenset({404}),
    ),
    Endpoint(
        "POST",
        "/public/v1/consent-links/{token}/answer",
        EVERYONE,
        {"reference": "{reference}", "date_of_birth": "2010-03-14", "answer": "given"},
        frozenset({404}),
    ),
    Endpoint(
        "POST",
        "/public/v1/consent-links/{token}/withdrawal",
        EVERYONE,
        {"reference": "{reference}", "date_of_birth": "2010-03-14"},
        frozenset({404}),
    ),
    Endpoint("GET", "/v1/factors", EVERYONE),
    Endpoint("GET", "/v1/metrics", MONITORS),
    Endpoint("GET", "/health/live", EVERYONE),
    Endpoint("GET", "/health/ready", EVERYONE),
    Endpoint("GET", "/metrics", EVERYONE),
]


def test_the_matrix_names_every_route() -> None:
    documented = {
        (method.upper(), path)
        for path, operations in create_app().openapi()["paths"].items()
        for method in operations
    }
    # `/metrics` (request counts for Prometheus, added to every service) is not documented.
    assert documented | {("GET", "/metrics")} == {(e.method, e.path) for e in ENDPOINTS}


def headers_for(staff: Staff, role: Role, reference: str) -> dict[str, str]:
    """Each role as scoped as it would be: the chair's area, a seated member, a bound portal."""
    if role is Role.PANEL_MEMBER:
        return staff.member("school-9")
    if role is Role.INTERVENTION_PROVIDER:
        return staff.provider("mentor-a")
    if role is Role.PERSON_OR_GUARDIAN:
        return staff.guardian(reference)
    areas = (AREA,) if role in (Role.CHANNEL_CHAIR, Role.PREVENT_OFFICER) else ()
    return staff.headers(role, f"{role.value}-9", areas=areas)


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


async def supported_case(system: Pipeline) -> dict[str, str]:
    """A case in support with one item for `mentor-a`, its panel, meeting and a request."""
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.give_consent(reference)
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    meeting_id = await d.meeting(reference)
    await d.adopt(reference, meeting_id, "mentor-a")
    view = await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    request = await d.ok(
        "POST",
        f"/v1/cases/{reference}/information-requests",
        json={"agency": "education", "question": "Attendance this term?"},
    )
    return {
        "reference": reference,
        "meeting_id": meeting_id,
        "panel_id": await d.panel(),
        "request_id": request["id"],
        "item_id": view["plan"][0]["items"][0]["item_id"],
        "subject": "probation-1",
        "token": "not-a-link-we-issued",
        "provider_id": "mentor-a",
        "attachment_id": "00000000-0000-0000-0000-000000000000",
    }


async def test_every_role_against_every_endpoint(system: Pipeline) -> None:
    ids = await supported_case(system)
    wrong: list[str] = []
    for role in Role:
        headers = headers_for(system.staff, role, ids["reference"])
        for endpoint in ENDPOINTS:
            answer = await system.driver.call(
                endpoint.method,
                endpoint.path.format(**ids),
                headers=headers | STALE,
                json=_fill(endpoint.body, ids),
            )
            if role in endpoint.allowed:
                ok = answer.status_code in endpoint.admitted
            else:
                ok = answer.status_code == 403 and (
                    answer.headers["content-type"] == "application/problem+json"
                )
            if not ok:
                wrong.append(f"{role} {endpoint.method} {endpoint.path}: {answer.status_code}")
    assert wrong == []
    # Every admitted step still left the case where it was.
    view = await system.driver.wait_for_stage(ids["reference"], "SUPPORT_ACTIVE")
    assert view["status"]["plan_revision"] == 1


async def test_no_token_or_a_bad_one_is_401(system: Pipeline) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = await system.driver.call(
            "GET", "/v1/queue", headers=headers | {"X-Purpose": "x y z"}
        )
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")
