"""Each client has its own rate limit; the public client's is the strictest."""

from __future__ import annotations

from safeguard.auth.agencies import DEFAULT_LIMITS, AgencyKind, RateLimit
from tests.intake.clients import register_client
from tests.intake.conftest import Intake
from tests.intake.forms import public_form, school_form

PROBE = "/v1/referrals/PRV-2026-999999"


async def test_over_the_burst_answers_429_with_retry_after(intake: Intake) -> None:
    tight = await register_client(intake.pool, "tight", limit=RateLimit(per_minute=6, burst=3))
    codes = [(await intake.http.get(PROBE, headers=tight)).status_code for _ in range(3)]
    assert codes == [404, 404, 404]
    refused = await intake.http.get(PROBE, headers=tight)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    # One request every 10 s is allowed, so the wait is at most that.
    assert 1 <= int(refused.headers["retry-after"]) <= 10
    refused_post = await intake.http.post("/v1/referrals", json=school_form(), headers=tight)
    assert refused_post.status_code == 429
    assert await intake.count() == 0


async def test_limits_are_per_client(intake: Intake) -> None:
    tight = await register_client(intake.pool, "tight", limit=RateLimit(per_minute=1, burst=1))
    assert (await intake.http.get(PROBE, headers=tight)).status_code == 404
    assert (await intake.http.get(PROBE, headers=tight)).status_code == 429
    assert (await intake.http.get(PROBE, headers=intake.agency_a)).status_code == 404


async def test_the_public_client_has_stricter_limits(intake: Intake) -> None:
    public, partner = DEFAULT_LIMITS[AgencyKind.PUBLIC], DEFAULT_LIMITS[AgencyKind.PARTNER]
    assert public.per_minute < partner.per_minute and public.burst < partner.burst
    web_form = await register_client(
        intake.pool, "public-web-form", kind=AgencyKind.PUBLIC, limit=public, area=None
    )
    codes = []
    for n in range(public.burst + 1):
        form = public_form()
        form["person"]["given_names"] = f"Person{n}"
        codes.append(
            (await intake.http.post("/v1/referrals", json=form, headers=web_form)).status_code
        )
    assert codes == [201] * public.burst + [429]


async def test_the_public_client_cannot_claim_a_public_body(intake: Intake) -> None:
    web_form = await register_client(intake.pool, "public-web-form", kind=AgencyKind.PUBLIC)
    answer = await intake.http.post("/v1/referrals", json=school_form(), headers=web_form)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body.referrer.sector"]
