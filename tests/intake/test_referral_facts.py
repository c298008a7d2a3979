"""Intake's referral facts for the statistics: age at referral and gender code only, to the
statistics' own client only, each read in the access log; nothing once redacted."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from safeguard.auth.service_identity import ServiceClient
from safeguard.settings import Settings
from services.intake import store
from tests.intake.conftest import Intake
from tests.intake.forms import school_form
from tests.service_auth import service_headers

FACTS = "/internal/v1/referral-facts"


async def _referral(intake: Intake, *, born: str, gender: str | None) -> UUID:
    form = school_form()
    form["person"]["date_of_birth"] = born
    if gender is None:
        form["person"].pop("gender", None)
    else:
        form["person"]["gender"] = gender
    answer = await intake.http.post("/v1/referrals", json=form, headers=intake.agency_a)
    assert answer.status_code == 201, answer.text
    async with intake.pool.acquire() as conn:
        found: UUID = await conn.fetchval(
            "SELECT id FROM intake.referrals WHERE reference = $1", answer.json()["reference"]
        )
    return found


def _age(born: dt.date) -> int:
    today = dt.datetime.now(dt.UTC).date()
    return today.year - born.year - int((today.month, today.day) < (born.month, born.day))


async def test_the_statistics_get_age_and_gender_and_each_read_is_logged(
    intake: Intake, settings: Settings
) -> None:
    born = dt.date(2010, 3, 14)
    girl = await _referral(intake, born=born.isoformat(), gender="female")
    unknown = await _referral(intake, born=born.isoformat(), gender=None)
    answer = await intake.http.post(
        FACTS,
        json={"referral_ids": [str(girl), str(unknown)]},
        headers=service_headers(settings, ServiceClient.STATISTICS),
    )
    assert answer.status_code == 200, answer.text
    facts = {f["referral_id"]: f for f in answer.json()["facts"]}
    assert facts[str(girl)] == {
        "referral_id": str(girl),
        "age_at_referral": _age(born),
        "gender": "female",
        "redacted": False,
    }
    assert facts[str(unknown)]["gender"] == "not_known"
    async with intake.pool.acquire() as conn:
        reads = await conn.fetch(
            "SELECT subject, referral_id, fields FROM audit.access_log ORDER BY id"
        )
    assert [(r["subject"], r["referral_id"], r["fields"]) for r in reads] == [
        ("svc-statistics", girl, ["age_at_referral", "gender"]),
        ("svc-statistics", unknown, ["age_at_referral", "gender"]),
    ]


async def test_a_referral_from_before_the_gender_column_has_it_read_from_its_form(
    intake: Intake, settings: Settings
) -> None:
    referral = await _referral(intake, born="1990-01-01", gender="non_binary")
    async with intake.pool.acquire() as conn:
        await conn.execute("UPDATE intake.referrals SET gender = NULL WHERE id = $1", referral)
    answer = await intake.http.post(
        FACTS,
        json={"referral_ids": [str(referral)]},
        headers=service_headers(settings, ServiceClient.STATISTICS),
    )
    assert answer.json()["facts"][0]["gender"] == "non_binary"
    async with intake.pool.acquire() as conn:
        kept = await conn.fetchval("SELECT gender FROM intake.referrals WHERE id = $1", referral)
    assert kept == "non_binary"


async def test_a_redacted_referral_gives_nothing(intake: Intake, settings: Settings) -> None:
    referral = await _referral(intake, born="1990-01-01", gender="male")
    async with intake.pool.acquire() as conn:
        await store.redact(conn, referral_id=referral, at=dt.datetime.now(dt.UTC))
        row = await conn.fetchrow(
            "SELECT gender, age_at_referral FROM intake.referrals WHERE id = $1", referral
        )
    assert row is not None
    assert dict(row) == {"gender": None, "age_at_referral": None}
    answer = await intake.http.post(
        FACTS,
        json={"referral_ids": [str(referral)]},
        headers=service_headers(settings, ServiceClient.STATISTICS),
    )
    assert answer.json()["facts"] == [
        {"referral_id": str(referral), "age_at_referral": None, "gender": None, "redacted": True}
    ]


async def test_no_other_client_may_ask(intake: Intake, settings: Settings) -> None:
    referral = await _referral(intake, born="1990-01-01", gender="male")
    for client in ServiceClient:
        if client is ServiceClient.STATISTICS:
            continue
        answer = await intake.http.post(
            FACTS, json={"referral_ids": [str(referral)]}, headers=service_headers(settings, client)
        )
        assert answer.status_code == 403, client
