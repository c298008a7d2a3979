"""Every bad input is a problem document naming what is wrong, and nothing is stored."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from safeguard.fieldcrypt.setup import field_crypto
from safeguard.settings import Settings
from services.intake import store as intake_store
from services.intake.sealed import open_form
from tests.intake.conftest import Intake
from tests.intake.forms import school_form

Mutation = Callable[[dict[str, Any]], None]
TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()


def _set(path: str, value: Any) -> Mutation:
    def mutate(form: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target: Any = form
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


def _bad(name: str, path: str, value: Any) -> tuple[str, Mutation, str]:
    return name, _set(path, value), f"body.{path}"


def _unreachable(form: dict[str, Any]) -> None:
    del form["referrer"]["email"], form["referrer"]["phone"]


DOB = "person.date_of_birth"
MEMBER = school_form()["household_members"][0]
CASES: list[tuple[str, Mutation, str]] = [
    ("missing referrer name", _drop("referrer.name"), "body.referrer.name"),
    ("missing person", _drop("person"), "body.person"),
    ("missing concern description", _drop("concern.description"), "body.concern.description"),
    ("referrer unreachable", _unreachable, "body.referrer"),
    _bad("empty name", "person.given_names", "   "),
    _bad("name too long", "person.family_name", "x" * 101),
    _bad("description too long", "concern.description", "x" * 10_001),
    _bad("name is a number", "person.given_names", 5),
    _bad("name has a NUL", "referrer.name", "a\u0000b"),
    _bad("name has a line break", "referrer.role", "a\nb"),
    _bad("lone surrogate", "person.religion", "\ud800"),
    _bad("date of birth in the future", DOB, TOMORROW),
    _bad("date of birth as a number", DOB, 20100314),
    _bad("date of birth as a timestamp", DOB, "2010-03-14T00:00:00"),
    _bad("impossible date", DOB, "2010-02-30"),
    _bad("implausibly old", DOB, "1850-01-01"),
    _bad("unknown sector", "referrer.sector", "astrology"),
    _bad("unknown concern type", "concern.type", "vague"),
    _bad("unknown gender", "person.gender", "x"),
    _bad("unknown field", "favourite_colour", "blue"),
    _bad("unknown nested field", "person.nickname", "S"),
    _bad("boolean as a string", "concern.special_educational_needs", "yes"),
    _bad("boolean as a number", "concern.complex_needs", 1),
    _bad("bad email", "referrer.email", "not-an-email"),
    _bad("bad phone", "referrer.phone", "call me"),
    _bad("bad postcode", "person.address.postcode", "XYZ"),
    _bad("too many household members", "household_members", [MEMBER] * 21),
    _bad("unknown relationship", "household_members.0.relationship", "boss"),
    _bad("future household birth date", "household_members.0.date_of_birth", TOMORROW),
    _bad("too many languages", "person.languages", ["English"] * 11),
    _bad("unknown form version", "form_version", 2),
    _bad("form version as text", "form_version", "1"),
    _bad("lower-case area", "area", "e08000003"),
    _bad("list where an object belongs", "concern", []),
]


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


async def test_whitespace_is_trimmed_and_postcode_upper_cased(
    intake: Intake, settings: Settings
) -> None:
    form = school_form(given_names="  Sam  ")
    form["person"]["address"]["postcode"] = "m1 1aa"
    answer = await intake.http.post("/v1/referrals", json=form, headers=intake.agency_a)
    assert answer.status_code == 201
    async with (
        field_crypto(settings, service=intake_store.SERVICE) as fields,
        intake.pool.acquire() as conn,
    ):
        row = await conn.fetchrow("SELECT * FROM intake.referrals")
        assert row is not None
        stored = await open_form(conn, fields.keyring, row)
    assert stored is not None
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
