"""Pieces every FastAPI service shares: dependencies, health routes, the app factory."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from safeguard import openapi, outages
from safeguard.case_updates import UPDATE_REFUSALS, IdempotencyKeyMiddleware
from safeguard.control_chars import ControlCharacterGuard
from safeguard.db.pool import Pool
from safeguard.errors import RETRY_AFTER_HEADER, documented_problem, install_problem_handlers
from safeguard.logs import configure_logging
from safeguard.openapi import may_answer
from safeguard.outages import Dependency, Outages, OutageScope
from safeguard.settings import Settings
from safeguard.telemetry import configure_tracing
from safeguard.web_telemetry import instrument_app

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


# Dependencies are coroutines: FastAPI runs a plain `def` in a worker thread, a thread hop
# per request for what needs none.
async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Every route that uses the database or Temporal may find it down (`safeguard.outages`).
DATABASE_DOWN = documented_problem(
    "The database cannot be reached just now; try again after `Retry-After` seconds.",
    RETRY_AFTER_HEADER,
)
TEMPORAL_DOWN = documented_problem(
    "The case engine cannot be reached just now; try again after `Retry-After` seconds.",
    RETRY_AFTER_HEADER,
)
# Readiness asks Temporal only of services that act on cases; it should not wait long.
_HEALTH_TIMEOUT = timedelta(seconds=3)


@may_answer({503: DATABASE_DOWN})
async def _pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


@may_answer({503: TEMPORAL_DOWN}, on_change=UPDATE_REFUSALS)
async def _temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(_settings)]
PoolDep = Annotated[Pool, Depends(_pool)]
TemporalDep = Annotated[Client, Depends(_temporal)]


class Health(BaseModel):
    """Liveness or readiness."""

    status: str


health_router = APIRouter(prefix="/health", tags=["health"])


@health_router.get("/live")
async def live() -> Health:
    """The process is up."""
    return Health(status="ok")


async def _temporal_serving(temporal: Client) -> bool:
    """Whether Temporal answers its health check in time. A check that outruns its timeout is
    answered CANCELLED by the client, not DEADLINE_EXCEEDED: too slow to be ready, so it is
    Temporal's outage (503), not an error of ours (500)."""
    try:
        return await temporal.service_client.check_health(timeout=_HEALTH_TIMEOUT)
    except RPCError as error:
        if error.status is not RPCStatusCode.CANCELLED:
            raise
        raise RPCError(
            f"Temporal's health check took over {_HEALTH_TIMEOUT}", RPCStatusCode.UNAVAILABLE, b""
        ) from error


@health_router.get(
    "/ready",
    responses={
        503: documented_problem(
            "The case engine cannot be reached (asked only by the services that act on"
            " cases: assessment, panel and audit).",
            RETRY_AFTER_HEADER,
        )
    },
)
async def ready(request: Request, pool: PoolDep) -> Health:
    """The service can reach its database, and Temporal if it acts on cases (503 if not)."""
    await pool.fetchval("SELECT 1")
    outages.current().ended(Dependency.DATABASE)
    temporal: Client | None = getattr(request.app.state, "temporal", None)
    if temporal is not None:
        if not await _temporal_serving(temporal):
            raise RPCError("Temporal is up but not serving", RPCStatusCode.UNAVAILABLE, b"")
        outages.current().ended(Dependency.TEMPORAL)
    return Health(status="ok")


def build_app(
    *,
    title: str,
    description: str,
    settings: Settings,
    lifespan: Lifespan,
    routers: list[APIRouter],
) -> FastAPI:
    """A FastAPI app with problem-details errors, health routes and the given routers; strings
    with control characters refused everywhere, and an OpenAPI that documents it."""
    configure_logging()
    service = _service_name(sys._getframe(1).f_globals.get("__name__", ""))
    configure_tracing(f"safeguard-{service}", settings)
    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    app.state.settings = settings
    # This app's own record of what is down (one app per process, outside tests).
    app.state.outages = found_down = Outages()
    app.add_middleware(IdempotencyKeyMiddleware)
    # Inside the telemetry and any limit a service adds, so refusals are counted and limits
    # answer first; before every route, so no string with a control character reaches one.
    app.add_middleware(ControlCharacterGuard)
    app.add_middleware(OutageScope, outages=found_down)
    instrument_app(app, service=service)
    install_problem_handlers(app)
    app.include_router(health_router)
    for router in routers:
        app.include_router(router)
    openapi.install(app)
    return app


def _service_name(module: str) -> str:
    """`intake` for `services.intake.app`: each service builds its app in its own package, so
    its name comes from there rather than from one more argument every app must pass."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "services" else "app"
