"""The audit service's FastAPI app: the auditor API, the lifecycle consumer, the archiver and
the audit log's sequencer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from safeguard.audit.archiver import Archiver
from safeguard.audit.cases import CONSUMER, handle_event
from safeguard.audit.log.setup import sequencer_for
from safeguard.background import running
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.lifespan import Subscription, service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import Lifespan, build_app
from services.audit.routes import router
from services.audit.routes_log import router as log_router
from workflows.referral.actions import PERSONAL_FIELDS


def _with_background(settings: Settings, base: Lifespan) -> Lifespan:
    """The archiver and the audit log's sequencer run beside the API."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with base(app):
            archiver = Archiver(
                pool=app.state.pool,
                client=app.state.temporal,
                settings=settings,
                personal=PERSONAL_FIELDS,
            )
            sequencer = sequencer_for(app.state.pool, settings)
            async with running(archiver.run(), sequencer.run()):
                yield

    return lifespan


def create_app(settings: Settings | None = None, *, temporal: Client | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and Temporal client."""
    settings = settings or get_settings()
    subscription = Subscription(CONSUMER, [REFERRAL_EVENTS], handle_event)
    base = service_lifespan(
        settings, subscriptions=(subscription,), temporal=temporal, needs_temporal=True, staff=True
    )
    return build_app(
        title="Safeguard audit",
        description="For auditors only: case histories (decrypted), replays against the current"
        " code, decision timelines, who read a case, and the verifiable audit log with its proofs."
        " Every read is logged.",
        settings=settings,
        lifespan=_with_background(settings, base),
        routers=[router, log_router],
    )
