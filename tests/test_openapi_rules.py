"""What every service's OpenAPI documents without each route repeating it, and the 405 Allow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI

from safeguard.access_log import stated_purpose
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import Role
from safeguard.settings import Settings
from safeguard.web import PoolDep, TemporalDep, build_app

router = APIRouter(prefix="/v1/things")


@router.get("/{thing_id}", dependencies=[Depends(require_roles(Role.AUDITOR))])
async def read_thing(thing_id: str, purpose: str = Depends(stated_purpose)) -> dict[str, str]:
    return {"id": thing_id}


@router.post("")
async def make_thing(body: dict[str, str]) -> dict[str, str]:
    return body


other = APIRouter(prefix="/v1/things")


@other.get("")
async def list_things() -> list[str]:
    return []


@other.get("/-/count")
async def count_things(pool: PoolDep, temporal: TemporalDep) -> int:
    return 0


@other.post("/{thing_id}/decision", responses={409: {"description": "Decided already."}})
async def decide_thing(thing_id: str, temporal: TemporalDep) -> int:
    return 0


@asynccontextmanager
async def _nothing(app: FastAPI) -> AsyncIterator[None]:
    yield


def _app() -> FastAPI:
    return build_app(
        title="t",
        description="d",
        settings=Settings(environment="test"),
        lifespan=_nothing,
        routers=[router, other],
    )


def test_shared_answers_are_documented_on_every_route_that_can_give_them() -> None:
    paths: dict[str, Any] = _app().openapi()["paths"]
    read = paths["/v1/things/{thing_id}"]["get"]
    assert set(read["responses"]) == {"200", "400", "401", "403", "404", "422", "503"}
    assert "`auditor`" in read["responses"]["403"]["description"]
    assert "WWW-Authenticate" in read["responses"]["401"]["headers"]
    purpose = next(p for p in read["parameters"] if p["name"] == "x-purpose")
    assert purpose["required"] is True and "anyOf" not in purpose["schema"]
    made = paths["/v1/things"]["post"]["responses"]
    assert set(made) == {"200", "400", "422"}  # a body that is not JSON: 400
    for responses in (read["responses"], made, paths["/v1/things"]["get"]["responses"]):
        assert responses["422"]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }


def test_an_outage_is_documented_on_every_route_that_uses_the_dependency() -> None:
    paths: dict[str, Any] = _app().openapi()["paths"]
    down = paths["/v1/things/-/count"]["get"]["responses"]["503"]
    assert "The database cannot be reached" in down["description"]
    assert "The case engine cannot be reached" in down["description"]
    assert down["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    # The route's own 503 (readiness names Temporal) keeps its words beside the database's.
    ready = paths["/health/ready"]["get"]["responses"]["503"]["description"]
    assert "case engine" in ready and "The database cannot be reached" in ready
    # Routes that need neither do not claim an outage they cannot have.
    assert "503" not in paths["/v1/things"]["get"]["responses"]
    assert "503" not in paths["/health/live"]["get"]["responses"]


def test_a_case_updates_refusals_are_documented_where_one_can_run() -> None:
    """A route taking Temporal that changes something runs a case update, which may refuse
    (its 409 'moved on' went undocumented on every such route)."""
    paths: dict[str, Any] = _app().openapi()["paths"]
    decide = paths["/v1/things/{thing_id}/decision"]["post"]["responses"]
    assert {"403", "409", "422", "500", "503"} <= set(decide)
    # The route's own words are kept beside the update's.
    assert "Decided already." in decide["409"]["description"]
    assert "moved on" in decide["409"]["description"]
    assert "A parameter or the body is invalid" in decide["422"]["description"]
    assert "Invalid decision" in decide["422"]["description"]
    assert list(decide["500"]["content"]) == ["application/problem+json"]
    # Reads with Temporal do not claim an update's refusals.
    assert "409" not in paths["/v1/things/-/count"]["get"]["responses"]


async def test_a_method_not_allowed_names_every_method_of_the_path() -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app()), base_url="http://t"
    ) as http:
        answer = await http.patch("/v1/things")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"  # two routers, one path
    assert answer.headers["content-type"] == "application/problem+json"
