"""Each client has its own rate limits, one for submissions and one for status reads; the public
client's are the strictest."""

from __future__ import annotations

from datetime import timedelta

from safeguard.auth import agencies
from safeguard.auth.agencies import DEFAULT_LIMITS, DEFAULT_READ_LIMITS, AgencyKind, RateLimit
from tests.intake.clients import register_client
from tests.intake.conftest import Intake
from tests.intake.forms import public_form, school_form

PROBE = "/v1/referrals/PRV-2026-999999"


TIGHT = RateLimit(per_minute=6, burst=3)


async def test_over_the_burst_answers_429_with_retry_after(intake: Intake) -> None:
    tight = await register_client(intake.pool, "tight", limit=TIGHT, read_limit=TIGHT)
    codes = [(await intake.http.get(PROBE, headers=tight)).status_code for _ in range(3)]
    assert codes == [404, 404, 404]
    refused = await intake.http.get(PROBE, headers=tight)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert "status read" in refused.json()["detail"]
    # One request every 10 s is allowed, so the wait is at most that.
    assert 1 <= int(refused.headers["retry-after"]) <= 10


async def test_polling_statuses_never_starves_submissions(intake: Intake) -> None:
    """Reads and submissions each spend their own budget (a load test once saw 2,001 status
    reads refused while 300 referrals went in, and the reads spent what the referrals needed)."""
    tight = await register_client(intake.pool, "tight", limit=TIGHT, read_limit=TIGHT)
    reads = [(await intake.http.get(PROBE, headers=tight)).status_code for _ in range(4)]
    assert reads == [404, 404, 404, 429]
    posts = []
    for n in range(TIGHT.burst + 1):
        form = school_form()
        form["person"]["given_names"] = f"Person{n}"
        answer = await intake.http.post("/v1/referrals", json=form, headers=tight)
        posts.append(answer.status_code)
    assert posts == [201] * TIGHT.burst + [429]
    assert await intake.count() == TIGHT.burst
    # Submitting spent nothing of the reads' budget either: it refills on its own clock.
    assert (await intake.http.get(PROBE, headers=tight)).status_code == 429


async def test_a_new_client_gets_its_kinds_read_budget(intake: Intake) -> None:
    async with intake.pool.acquire() as conn:
        await agencies.register(
            conn,
            client_id="defaults",
            name="Defaults",
            kind=AgencyKind.PARTNER,
            area=None,
            limit=DEFAULT_LIMITS[AgencyKind.PARTNER],
            key_lifetime=timedelta(days=1),
        )
        found = {a.client_id: a for a in await agencies.list_agencies(conn)}
    assert found["defaults"].read_limit == DEFAULT_READ_LIMITS[AgencyKind.PARTNER]
    assert found["defaults"].read_limit.per_minute > found["defaults"].limit.per_minute


async def test_limits_are_per_client(intake: Intake) -> None:
    one = RateLimit(per_minute=1, burst=1)
    tight = await register_client(intake.pool, "tight", limit=one, read_limit=one)
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
