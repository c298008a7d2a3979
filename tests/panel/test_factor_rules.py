"""A vulnerability assessment rates each of the 22 factors exactly once.

A factor left out, or one the framework does not have, fails the model; a factor given twice
can only arrive as a JSON object naming it twice, which Python's parser would quietly read as
the last rating given, so the request guard refuses any body that names something twice."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from safeguard.control_chars import ControlCharacterGuard
from safeguard.errors import install_problem_handlers
from safeguard.json_names import REPEATED, repeated_names
from services.panel.factors import FACTORS
from services.panel.models import AssessmentCreate
from tests.panel.driver import all_factors


def _assessment_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(ControlCharacterGuard)
    install_problem_handlers(app)

    @app.post("/assessments")
    async def assess(body: AssessmentCreate) -> dict[str, str]:
        return {factor: rated.rating for factor, rated in body.factors.items()}

    return app


async def _post(raw: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_assessment_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://panel") as http:
        headers = {"content-type": "application/json"}
        return await http.post("/assessments", content=raw.encode(), headers=headers)


def test_every_factor_rated_is_accepted() -> None:
    assert (
        AssessmentCreate.model_validate({"factors": all_factors()}).factors.keys() == FACTORS.keys()
    )


def test_a_factor_missing_is_refused() -> None:
    factors = all_factors()
    del factors["criminal_capability"]
    with pytest.raises(ValidationError, match=r"missing \['criminal_capability'\]"):
        AssessmentCreate.model_validate({"factors": factors})


def test_a_factor_the_framework_lacks_is_refused() -> None:
    factors = all_factors() | {"charisma": {"rating": "low"}}
    with pytest.raises(ValidationError, match=r"unknown \['charisma'\]"):
        AssessmentCreate.model_validate({"factors": factors})


async def test_a_factor_given_twice_is_refused_over_http() -> None:
    rated = json.dumps(all_factors())
    twice = rated[:-1] + ', "under_threat": {"rating": "high"}}'
    answer = await _post(f'{{"factors": {twice}}}')
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert problem["errors"] == [{"field": "body.factors.under_threat", "message": REPEATED}]


async def test_each_factor_once_over_http_is_accepted() -> None:
    answer = await _post(json.dumps({"factors": all_factors("low")}))
    assert answer.status_code == 200, answer.text
    assert set(answer.json().values()) == {"low"}


def test_repeated_names_are_found_at_any_depth_and_only_there() -> None:
    body = b'{"a": 1, "b": [{"c": 1, "c": 2}, {"c": 3}], "d": {"e": {"f": 1, "f": 1}}, "a": 2}'
    assert sorted(e.field for e in repeated_names(body)) == ["body.a", "body.b.0.c", "body.d.e.f"]
    assert repeated_names(b'{"a": {"a": {"a": 1}}, "b": [1, 1]}') == []
    assert repeated_names(b"not json") == []
