"""Every role against every endpoint of the assessment service: allowed or refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safeguard.codes import Role
from services.assessment.app import create_app
from tests.assessment.conftest import AREA, Assessment

OFFICER = frozenset({Role.PREVENT_OFFICER})
READERS = OFFICER | {Role.AUDITOR}
MONITORS = READERS | {Role.OPERATOR}
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Endpoint:
    """One route, a body that is valid for it, and the roles it admits."""

    method: str
    path: str
    allowed: frozenset[Role]
    body: dict[str, Any] | None = None
    # Reads answer 200 to an admitted role; a decision may also meet the case's rules.
    admitted: frozenset[int] = frozenset({200})


DECIDED = frozenset({200, 409, 422})
NO_ATTACHMENT = "00000000-0000-0000-0000-000000000000"
ENDPOINTS = [
    Endpoint("GET", "/v1/tasks", READERS),
    Endpoint("GET", "/v1/tasks/{task_id}", READERS),
    Endpoint("POST", "/v1/tasks/{task_id}/claim", OFFICER),
    Endpoint(
        "POST",
        "/v1/tasks/{task_id}/assign",
        OFFICER,
        {"assignee": "officer-17"},
        frozenset({200, 412, 428}),
    ),
    Endpoint("POST", "/v1/tasks/{task_id}/release", OFFICER),
    Endpoint("GET", "/v1/triage", READERS),
    Endpoint("GET", "/v1/cases/{reference}", READERS),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/gateway-assessment",
        OFFICER,
        {
            "outcome": "POLICE_LED",
            "reasons": "Proportionate.",
            "deconfliction": "no_live_interest",
            "database_checks": "Nothing held.",
        },
        DECIDED,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/police-reviews",
        OFFICER,
        {"decision": "continue", "notes": "Engaging."},
        DECIDED,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/information",
        OFFICER,
        {"summary": "A further report."},
        DECIDED,
    ),
    # The same area: the workflow refuses it (422), so the case stays visible to the matrix.
    Endpoint(
        "POST",
        "/v1/cases/{reference}/transfer",
        OFFICER,
        {"to_area": AREA, "reason": "Moved."},
        DECIDED,
    ),
    # No transfer waits: 409, so the case stays where the matrix can see it.
    Endpoint("POST", "/v1/cases/{reference}/transfer/accept", OFFICER, None, frozenset({409})),
    Endpoint(
        "POST",
        "/v1/cases/{reference}/transfer/decline",
        OFFICER,
        {"reason": "Not ours."},
        frozenset({409}),
    ),
    Endpoint("POST", "/v1/cases/{reference}/transfer/withdraw", OFFICER, {}, frozenset({409})),
    Endpoint("GET", "/v1/transfers", READERS),
    # The case already has an area: 409, so the case stays where the matrix can see it.
    Endpoint("POST", "/v1/cases/{reference}/area", OFFICER, {"area": AREA}, frozenset({409})),
    # Attachments (tests/attachments has the uploads themselves): a body that is not a form is
    # 415 and an unknown attachment 404, past the role check.
    Endpoint("POST", "/v1/cases/{reference}/attachments", OFFICER, None, frozenset({415})),
    Endpoint("GET", "/v1/cases/{reference}/attachments", READERS),
    Endpoint(
        "GET", "/v1/cases/{reference}/attachments/{attachment_id}", READERS, None, frozenset({404})
    ),
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


async def test_every_role_against_every_endpoint(system: Assessment) -> None:
    reference = await system.submit()
    task_id = str((await system.tasks_of(reference))[0]["id"])
    wrong: list[str] = []
    for role in Role:
        # Auditors and operators without areas oversee every area.
        areas = (AREA,) if role is Role.PREVENT_OFFICER else ()
        headers = system.staff.headers(role, f"{role.value}-9", areas=areas)
        for endpoint in ENDPOINTS:
            path = endpoint.path.format(
                task_id=task_id, reference=reference, attachment_id=NO_ATTACHMENT
            )
            answer = await system.http.request(
                endpoint.method, f"{system.url}{path}", json=endpoint.body, headers=headers
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


async def test_no_token_or_a_bad_one_is_401(system: Assessment) -> None:
    reference = await system.submit()
    for headers in ({}, {"Authorization": "Bearer not.a.jwt"}, {"Authorization": "Basic x"}):
        for endpoint in ENDPOINTS:
            if endpoint.allowed == EVERYONE:
                continue
            path = endpoint.path.format(
                task_id=NO_ATTACHMENT, reference=reference, attachment_id=NO_ATTACHMENT
            )
            answer = await system.http.request(
                endpoint.method,
                f"{system.url}{path}",
                json=endpoint.body,
                headers=headers | {"X-Purpose": "testing"},
            )
            assert answer.status_code == 401, (endpoint.path, headers)
            assert answer.headers["www-authenticate"].startswith("Bearer")
