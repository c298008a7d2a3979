"""Pieces every FastAPI service shares: dependencies, health routes, the app factory."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel
from temporalio.client import Client

from safeguard import openapi
from safeguard.case_updates import IdempotencyKeyMiddleware
from safeguard.control_chars import ControlCharacterGuard
from safeguard.db.pool import Pool
from safeguard.errors import install_problem_handlers
from safeguard.logs import configure_logging
from safeguard.settings import Settings
from safeguard.telemetry import configure_tracing
from safeguard.web_telemetry import instrument_app

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


def _temporal(request: Request) -> Client:
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


@health_router.get("/ready")
async def ready(pool: PoolDep) -> Health:
    """The service can reach its database."""
    await pool.fetchval("SELECT 1")
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
    app.add_middleware(IdempotencyKeyMiddleware)
    # Inside the telemetry and any limit a service adds, so refusals are counted and limits
    # answer first; before every route, so no string with a control character reaches one.
    app.add_middleware(ControlCharacterGuard)
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
