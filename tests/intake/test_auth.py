"""Only registered clients may call, each sees only its own referrals, and only their status."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safeguard.auth import agencies
from safeguard.auth.agencies import AgencyError
from tests.intake.clients import bearer, register_client
from tests.intake.conftest import Intake
from tests.intake.forms import school_form


async def _submit(intake: Intake, headers: dict[str, str]) -> str:
    answer = await intake.http.post("/v1/referrals", json=school_form(), headers=headers)
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    return reference


async def _status(intake: Intake, reference: str, headers: dict[str, str]) -> int:
    return (await intake.http.get(f"/v1/referrals/{reference}", headers=headers)).status_code


@pytest.mark.parametrize(
    ("headers", "title"),
    [
        ({}, "Missing credentials"),
        ({"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, "Missing credentials"),
        ({"Authorization": "Bearer not-a-key"}, "Invalid credentials"),
        ({"Authorization": "Bearer sg_0123456789abcdef_" + "0" * 64}, "Invalid credentials"),
    ],
)
async def test_requests_without_a_valid_key_are_401(
    intake: Intake, headers: dict[str, str], title: str
) -> None:
    for answer in (
        await intake.http.post("/v1/referrals", json=school_form(), headers=headers),
        await intake.http.get("/v1/referrals/PRV-2026-000001", headers=headers),
    ):
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["title"] == title
    assert await intake.count() == 0


async def test_a_wrong_secret_for_a_real_key_id_is_invalid(intake: Intake) -> None:
    token = intake.agency_a["Authorization"].removeprefix("Bearer ")
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    answer = await intake.http.get("/v1/referrals/PRV-2026-000001", headers=bearer(forged))
    assert answer.json()["title"] == "Invalid credentials"


async def test_an_agency_cannot_read_another_agencys_referral(intake: Intake) -> None:
    agency_b = await register_client(intake.pool, "agency-b")
    reference = await _submit(intake, intake.agency_a)
    assert await _status(intake, reference, intake.agency_a) == 200
    answer = await intake.http.get(f"/v1/referrals/{reference}", headers=agency_b)
    # The same answer as for a reference that does not exist: nothing leaks.
    assert answer.status_code == 404
    assert answer.json()["title"] == "Unknown referral"


async def test_status_is_minimal(intake: Intake) -> None:
    reference = await _submit(intake, intake.agency_a)
    status = (await intake.http.get(f"/v1/referrals/{reference}", headers=intake.agency_a)).json()
    assert set(status) == {"reference", "status", "queued", "received_at"}
    assert status["status"] in {"received", "being_assessed", "closed"}


async def test_unknown_and_malformed_references_are_404(intake: Intake) -> None:
    for reference in ("PRV-2026-999999", "nonsense"):
        answer = await intake.http.get(f"/v1/referrals/{reference}", headers=intake.agency_a)
        assert answer.status_code == 404
        assert answer.json()["title"] == "Unknown referral"
    # A control character is refused before any lookup, as in every service.
    nul = await intake.http.get("/v1/referrals/PRV-2026-000001%00", headers=intake.agency_a)
    assert nul.status_code == 422
    assert nul.json()["errors"] == [
        {
            "field": "path",
            "message": "Contains U+0000, a control character, which is not allowed here.",
        }
    ]


async def test_an_expired_key_is_refused(intake: Intake) -> None:
    expired = await register_client(intake.pool, "agency-old", lifetime=timedelta(0))
    answer = await intake.http.post("/v1/referrals", json=school_form(), headers=expired)
    assert answer.status_code == 401
    assert answer.json()["title"] == "Expired credentials"


async def test_rotation_replaces_the_key_after_the_grace_period(intake: Intake) -> None:
    old = intake.agency_a
    async with intake.pool.acquire() as conn:
        overlapping = await agencies.rotate(
            conn, client_id="agency-a", grace=timedelta(hours=1), key_lifetime=timedelta(days=1)
        )
    # Within the grace period both keys work, so a partner can deploy the new one calmly.
    assert await _status(intake, "PRV-2026-999999", old) == 404
    assert await _status(intake, "PRV-2026-999999", bearer(overlapping.token)) == 404
    async with intake.pool.acquire() as conn:
        newest = await agencies.rotate(
            conn, client_id="agency-a", grace=timedelta(0), key_lifetime=timedelta(days=1)
        )
    for stale in (old, bearer(overlapping.token)):
        answer = await intake.http.get("/v1/referrals/PRV-2026-999999", headers=stale)
        assert answer.status_code == 401
        assert answer.json()["title"] == "Expired credentials"
    reference = await _submit(intake, bearer(newest.token))
    # The client is the same, so its referrals stay visible under the new key.
    assert await _status(intake, reference, bearer(newest.token)) == 200


async def test_a_revoked_client_is_refused_at_once(intake: Intake) -> None:
    reference = await _submit(intake, intake.agency_a)
    async with intake.pool.acquire() as conn:
        await agencies.revoke(conn, client_id="agency-a")
    answer = await intake.http.get(f"/v1/referrals/{reference}", headers=intake.agency_a)
    assert answer.status_code == 401
    assert answer.json()["title"] == "Revoked credentials"
    async with intake.pool.acquire() as conn:
        with pytest.raises(AgencyError):
            await agencies.rotate(
                conn, client_id="agency-a", grace=timedelta(0), key_lifetime=timedelta(days=1)
            )


async def test_keys_are_stored_hashed(intake: Intake) -> None:
    token = intake.agency_a["Authorization"].removeprefix("Bearer ")
    secret = token.rsplit("_", 1)[1]
    async with intake.pool.acquire() as conn:
        stored = await conn.fetch("SELECT * FROM intake.agency_keys")
    assert stored and all(secret.encode() not in bytes(str(dict(row)), "utf-8") for row in stored)
    assert all(len(row["secret_hash"]) == 32 for row in stored)
