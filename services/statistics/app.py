"""The statistics service's FastAPI app: the release API, the lifecycle consumer that keeps
the fact rows, and the filler that asks intake for age and gender."""

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
from services.statistics.routes import router

INTAKE_TIMEOUT_SECONDS = 10.0


def _with_facts(settings: Settings, base: Lifespan) -> Lifespan:
    """The filler runs beside the API, with this service's own client at intake."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            base(app),
            httpx.AsyncClient(timeout=INTAKE_TIMEOUT_SECONDS) as http,
            service_tokens(settings, ServiceClient.STATISTICS) as tokens,
        ):
            client = IntakeFactsClient(settings, http, tokens)
            app.state.facts = filler = FactsFiller(
                pool=app.state.pool, client=client, settings=settings
            )
            async with running(filler.run()):
                yield

    return lifespan


def create_app(settings: Settings | None = None, *, consume: bool = True) -> FastAPI:
    """Build the app; tests pass their own settings, and `consume=False` for the API alone
    (no consumer, no filler)."""
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
        lifespan=_with_facts(settings, base) if consume else base,
        routers=[router],
    )
