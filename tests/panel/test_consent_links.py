"""Single-use, expiring consent links: issued internally, answered publicly through the workflow."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import httpx

from safeguard.auth.service_identity import ServiceClient
from safeguard.codes import Role
from services.intake.openapi import SCHOOL_REFERRAL
from tests.panel.conftest import Pipeline
from tests.service_auth import service_headers
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

BORN = SCHOOL_REFERRAL["person"]["date_of_birth"]


async def consent_pending(system: Pipeline) -> tuple[str, UUID]:
    """A case whose guardian was asked for consent: its reference and referral id."""
    reference = await system.refer()
    await system.driver.wait_for_stage(reference, "CONSENT_PENDING")
    await system.driver.request_consent(reference)
    rows = await system.rows("SELECT referral_id FROM panel.cases WHERE reference = $1", reference)
    referral_id: UUID = rows[0]["referral_id"]
    return reference, referral_id


async def issue(system: Pipeline, referral_id: UUID) -> dict[str, Any]:
    """A link, as the notifications service asks for one."""
    answer = await system.http.post(
        f"{system.driver.url}/internal/v1/consent-links",
        json={"referral_id": str(referral_id)},
        headers=service_headers(system.settings, ServiceClient.NOTIFICATIONS),
    )
    assert answer.status_code == 201, answer.text
    issued: dict[str, Any] = answer.json()
    return issued


async def use(
    system: Pipeline, token: str, step: str, reference: str, born: str = BORN, **extra: Any
) -> httpx.Response:
    """One public call, with no credential but the link."""
    return await system.http.post(
        f"{system.driver.url}/public/v1/consent-links/{token}/{step}",
        json={"reference": reference, "date_of_birth": born} | extra,
    )


async def decisions(system: Pipeline, reference: str) -> list[tuple[str, str, str]]:
    """What the workflow recorded: action, actor and role."""
    handle = system.temporal.get_workflow_handle(workflow_id_for(reference))
    found = await handle.query(ReferralWorkflow.decisions)
    return [(d.action, d.actor_id, d.actor_role.value) for d in found]


async def test_a_link_answers_once_then_withdraws(system: Pipeline) -> None:
    reference, referral_id = await consent_pending(system)
    issued = await issue(system, referral_id)
    token = issued["token"]
    assert len(token) >= 43  # 32 random bytes, URL-safe
    stored = await system.rows("SELECT * FROM panel.consent_links")
    assert [row["token_hash"] for row in stored] == [hashlib.sha256(token.encode()).digest()]
    assert token not in str(stored)

    seen = await use(system, token, "verify", reference)
    assert seen.status_code == 200, seen.text
    assert seen.json() == {
        "reference": reference,
        "route": "guardian",
        "state": "awaiting_answer",
        "can_withdraw": False,
        "expires_at": issued["expires_at"],
    }

    answered = await use(system, token, "answer", reference, answer="given")
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"acknowledged": True}
    holder = f"consent:{reference}"
    assert ("record_consent", holder, Role.PERSON_OR_GUARDIAN.value) in await decisions(
        system, reference
    )
    records = await system.driver.ok("GET", f"/v1/cases/{reference}/consent")
    given = [r for r in records if r["event"] == "given"]
    assert [(r["recorded_by"], r["method"], r["route"], r["answered_by"]) for r in given] == [
        (holder, "portal", "guardian", "parent_or_guardian")
    ]
    link = (await system.rows("SELECT answer, answered_at FROM panel.consent_links"))[0]
    assert link["answer"] == "given" and link["answered_at"] is not None

    again = await use(system, token, "answer", reference, answer="refused")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["title"] == "Already answered"

    seen = await use(system, token, "verify", reference)
    assert (seen.json()["state"], seen.json()["can_withdraw"]) == ("given", True)
    await system.driver.wait_for_stage(reference, "PANEL_CONSIDERATION")

    withdrawn = await use(system, token, "withdrawal", reference)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json() == {"acknowledged": True}
    assert ("withdraw_consent", holder, Role.PERSON_OR_GUARDIAN.value) in await decisions(
        system, reference
    )
    await system.driver.wait_for_stage(reference, "CONSENT_REFUSED")
    seen = await use(system, token, "verify", reference)
    assert (seen.json()["state"], seen.json()["can_withdraw"]) == ("withdrawn", False)
    twice = await use(system, token, "withdrawal", reference)
    assert twice.status_code == 409 and twice.json()["title"] == "Nothing to withdraw"


async def test_a_refusal_and_a_newer_link_replacing_an_unused_one(system: Pipeline) -> None:
    reference, referral_id = await consent_pending(system)
    first = (await issue(system, referral_id))["token"]
    second = (await issue(system, referral_id))["token"]

    replaced = await use(system, first, "verify", reference)
    assert replaced.status_code == 404
    assert replaced.json()["title"] == "Link not valid"
    assert (await use(system, first, "answer", reference, answer="given")).status_code == 404

    refused = await use(system, second, "answer", reference, answer="refused")
    assert refused.status_code == 200, refused.text
    holder = f"consent:{reference}"
    assert ("record_consent", holder, Role.PERSON_OR_GUARDIAN.value) in await decisions(
        system, reference
    )
    await system.driver.wait_for_stage(reference, "CONSENT_REFUSED")
    seen = await use(system, second, "verify", reference)
    assert (seen.json()["state"], seen.json()["can_withdraw"]) == ("refused", False)
    nothing = await use(system, second, "withdrawal", reference)
    assert nothing.status_code == 409
    assert nothing.json()["state"] == "refused"

    # A used link is not replaced by a newer one: it stays for its own record.
    await issue(system, referral_id)
    assert (await use(system, second, "verify", reference)).status_code == 200


async def test_wrong_details_lock_the_link_and_expired_links_do_not_answer(
    system: Pipeline,
) -> None:
    reference, referral_id = await consent_pending(system)
    token = (await issue(system, referral_id))["token"]

    wrong = await use(system, token, "verify", reference, born="2010-03-15")
    assert wrong.status_code == 422
    assert wrong.json()["title"] == "Details do not match"
    assert wrong.json()["attempts_left"] == 4
    assert BORN not in wrong.text and "2010-03-15" not in wrong.text
    left = []
    for _ in range(3):
        answer = await use(system, token, "answer", "PRV-2026-999999", answer="given")
        left.append((answer.status_code, answer.json().get("attempts_left")))
    assert left == [(422, 3), (422, 2), (422, 1)]
    locked = await use(system, token, "verify", reference, born="2001-01-01")
    assert locked.status_code == 423 and locked.json()["title"] == "Link locked"
    for step, extra in (("verify", {}), ("answer", {"answer": "given"}), ("withdrawal", {})):
        right = await use(system, token, step, reference, **extra)
        assert right.status_code == 423, step
    assert not [d for d in await decisions(system, reference) if d[0] == "record_consent"]

    fresh = (await issue(system, referral_id))["token"]
    async with system.pool.acquire() as conn:
        await conn.execute(
            "UPDATE panel.consent_links SET expires_at = now() - interval '1 minute'"
            " WHERE token_hash = $1",
            hashlib.sha256(fresh.encode()).digest(),
        )
    for step, extra in (("verify", {}), ("answer", {"answer": "given"})):
        expired = await use(system, fresh, step, reference, **extra)
        assert expired.status_code == 410, step
        assert expired.json()["title"] == "Link expired"
    # Withdrawing does not expire, but there is nothing given to withdraw.
    assert (await use(system, fresh, "withdrawal", reference)).status_code == 409

    unknown = await use(system, "x" * 43, "verify", reference)
    assert unknown.status_code == 404
    for headers, status in (
        ({"Authorization": "Bearer not-the-token"}, 401),
        (system.driver.staff.chair(), 401),
        # Only notifications is granted consent-links.issue; the case services read forms.
        (service_headers(system.settings, ServiceClient.PANEL), 403),
        (service_headers(system.settings, ServiceClient.ASSESSMENT), 403),
    ):
        refused = await system.http.post(
            f"{system.driver.url}/internal/v1/consent-links",
            json={"referral_id": str(referral_id)},
            headers=headers,
        )
        assert refused.status_code == status, refused.text
    assert (await system.rows("SELECT stage FROM panel.cases WHERE reference = $1", reference))[0][
        "stage"
    ] == "CONSENT_PENDING"
