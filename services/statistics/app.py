"""The statistics service's FastAPI app: the release API, the lifecycle consumer that keeps
the fact rows, the filler that asks intake for age and gender, and the protector that makes
the tables below the national level in the background."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import service_tokens
from safeguard.background import running
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.lifespan import Subscription, service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import Lifespan, build_app
from services.statistics.events import CONSUMER, handle_event
from services.statistics.facts import FactsFiller, IntakeFactsClient
from services.statistics.protection import Protector
from services.statistics.routes import router

INTAKE_TIMEOUT_SECONDS = 10.0


def _with_background(settings: Settings, base: Lifespan, *, facts: bool) -> Lifespan:
    """The protector runs beside the API, and with `facts` the filler too (with this
    service's own client at intake)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with base(app):
            protector = Protector(pool=app.state.pool, settings=settings)
            if not facts:
                async with running(protector.run()):
                    yield
                return
            async with (
                httpx.AsyncClient(timeout=INTAKE_TIMEOUT_SECONDS) as http,
                service_tokens(settings, ServiceClient.STATISTICS) as tokens,
            ):
                client = IntakeFactsClient(settings, http, tokens)
                app.state.facts = filler = FactsFiller(
                    pool=app.state.pool, client=client, settings=settings
                )
                async with running(filler.run(), protector.run()):
                    yield

    return lifespan


def create_app(settings: Settings | None = None, *, consume: bool = True) -> FastAPI:
    """Build the app; tests pass their own settings, and `consume=False` for the API and its
    protector alone (no consumer, no filler: the test puts fact rows in place)."""
    settings = settings or get_settings()
    subscription = Subscription(CONSUMER, [REFERRAL_EVENTS], handle_event)
    base = service_lifespan(settings, subscriptions=(subscription,) if consume else (), staff=True)
    return build_app(
        title="Safeguard statistics",
        description="The figures of the Home Office release (referrals by sector, type of"
        " concern, age group and gender, their outcomes, Channel cases) for any financial year"
        " or quarter, nationally or for an area, police force area or region, as JSON, ODS and"
        " CSV. Aggregates only: small counts suppressed outside the national tables.",
        settings=settings,
        lifespan=_with_background(settings, base, facts=consume),
        routers=[router],
    )
