"""Every bad input is a problem document naming what is wrong, and nothing is stored."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.intake.conftest import Intake
from tests.intake.forms import school_form

Mutation = Callable[[dict[str, Any]], None]
TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()


def _set(path: str, value: Any) -> Mutation:
    def mutate(form: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target = form
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[leaf] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(form: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target = form
        for part in parents:
            target = target[part]
        del target[leaf]

    return mutate


CASES: list[tuple[str, Mutation, str]] = [
    ("missing referrer name", _drop("referrer.name"), "body.referrer.name"),
    ("missing person", _drop("person"), "body.person"),
    ("missing concern description", _drop("concern.description"), "body.concern.description"),
    ("empty name", _set("person.given_names", "   "), "body.person.given_names"),
    ("name too long", _set("person.family_name", "x" * 101), "body.person.family_name"),
    ("description too long", _set("concern.description", "x" * 10_001), "body.concern.description"),
    ("name is a number", _set("person.given_names", 5), "body.person.given_names"),
    ("name has a NUL", _set("referrer.name", "a\u0000b"), "body.referrer.name"),
    ("name has a line break", _set("referrer.role", "a\nb"), "body.referrer.role"),
    ("lone surrogate", _set("person.religion", "\ud800"), "body.person.religion"),
    ("date of birth in the future", _set("person.date_of_birth", TOMORROW), "body.person.date_of_birth"),
    ("date of birth as a number", _set("person.date_of_birth", 20100314), "body.person.date_of_birth"),
    ("date of birth as a timestamp", _set("person.date_of_birth", "2010-03-14T00:00:00"), "body.person.date_of_birth"),
    ("impossible date", _set("person.date_of_birth", "2010-02-30"), "body.person.date_of_birth"),
    ("implausibly old", _set("person.date_of_birth", "1850-01-01"), "body.person.date_of_birth"),
    ("unknown sector", _set("referrer.sector", "astrology"), "body.referrer.sector"),
    ("unknown concern type", _set("concern.type", "vague"), "body.concern.type"),
    ("unknown gender", _set("person.gender", "x"), "body.person.gender"),
    ("unknown field", _set("favourite_colour", "blue"), "body.favourite_colour"),
    ("unknown nested field", _set("person.nickname", "S"), "body.person.nickname"),
    ("boolean as a string", _set("concern.special_educational_needs", "yes"), "body.concern.special_educational_needs"),
    ("boolean as a number", _set("concern.complex_needs", 1), "body.concern.complex_needs"),
    ("bad email", _set("referrer.email", "not-an-email"), "body.referrer.email"),
    ("bad phone", _set("referrer.phone", "call me"), "body.referrer.phone"),
    ("bad postcode", _set("person.address.postcode", "XYZ"), "body.person.address.postcode"),
    ("referrer unreachable", lambda f: (f["referrer"].pop("email"), f["referrer"].pop("phone")) and None, "body.referrer"),
    ("too many household members", _set("household_members", [school_form()["household_members"][0]] * 21), "body.household_members"),
    ("unknown relationship", _set("household_members.0.relationship", "boss"), "body.household_members.0.relationship"),
    ("future household birth date", _set("household_members.0.date_of_birth", TOMORROW), "body.household_members.0.date_of_birth"),
    ("too many languages", _set("person.languages", ["English"] * 11), "body.person.languages"),
    ("unknown form version", _set("form_version", 2), "body.form_version"),
    ("form version as text", _set("form_version", "1"), "body.form_version"),
    ("lower-case area", _set("area", "e08000003"), "body.area"),
    ("list where an object belongs", _set("concern", []), "body.concern"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_each_field_rule(intake: Intake, mutate: Mutation, field: str) -> None:
    form = school_form()
    mutate(form)
    # ASCII-escaped JSON, so a lone surrogate travels as the `\ud800` escape it would be.
    body = json.dumps(form).encode()
    headers = intake.agency_a | {"content-type": "application/json"}
    answer = await intake.http.post("/v1/referrals", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422
    assert field in {error["field"] for error in problem["errors"]}
    assert await intake.count() == 0


async def test_errors_never_echo_what_was_sent(intake: Intake) -> None:
    form = school_form(date_of_birth="2999-01-01", given_names="Zebedee" * 20)
    answer = await intake.http.post("/v1/referrals", json=form, headers=intake.agency_a)
    assert answer.status_code == 422
    assert "Zebedee" not in answer.text and "2999" not in answer.text


async def test_malformed_json_is_400(intake: Intake) -> None:
    answer = await intake.http.post(
        "/v1/referrals",
        content=b'{"referrer": {',
        headers=intake.agency_a | {"content-type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Malformed JSON"
    assert answer.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_wrong_content_type_is_415(intake: Intake, content_type: str | None) -> None:
    headers = dict(intake.agency_a)
    if content_type:
        headers["content-type"] = content_type
    answer = await intake.http.post("/v1/referrals", content=b"{}", headers=headers)
    assert answer.status_code == 415
    assert answer.json()["title"] == "Unsupported media type"


async def test_oversized_body_is_413(intake: Intake) -> None:
    form = school_form()
    form["concern"]["description"] = "x" * 70_000
    answer = await intake.http.post("/v1/referrals", json=form, headers=intake.agency_a)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert await intake.count() == 0


async def test_missing_body_names_the_body(intake: Intake) -> None:
    answer = await intake.http.post(
        "/v1/referrals", headers=intake.agency_a | {"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body"]


async def test_bad_idempotency_key_header_is_named(intake: Intake) -> None:
    headers = intake.agency_a | {"Idempotency-Key": "k" * 256}
    answer = await intake.http.post("/v1/referrals", json=school_form(), headers=headers)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["header.Idempotency-Key"]


async def test_age_is_derived_on_the_server(intake: Intake) -> None:
    born = dt.date(2010, 3, 14)
    answer = await intake.http.post(
        "/v1/referrals", json=school_form(date_of_birth=born.isoformat()), headers=intake.agency_a
    )
    assert answer.status_code == 201
    today = dt.datetime.now(dt.UTC).date()
    expected = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert await intake.count("SELECT age_at_referral FROM intake.referrals") == expected


async def test_whitespace_is_trimmed_and_postcode_upper_cased(intake: Intake) -> None:
    form = school_form(given_names="  Sam  ")
    form["person"]["address"]["postcode"] = "m1 1aa"
    answer = await intake.http.post("/v1/referrals", json=form, headers=intake.agency_a)
    assert answer.status_code == 201
    async with intake.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT form FROM intake.referrals")
    assert stored["person"]["given_names"] == "Sam"
    assert stored["person"]["address"]["postcode"] == "M1 1AA"


async def test_oversized_chunked_body_is_413(intake: Intake) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"concern": {"description": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}}'

    headers = intake.agency_a | {"content-type": "application/json"}
    answer = await intake.http.post("/v1/referrals", content=chunks(), headers=headers)
    assert answer.status_code == 413
    assert answer.json()["title"] == "Request body too large"
