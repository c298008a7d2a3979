"""The assessment service's FastAPI app, its event consumer and its intake client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from temporalio.client import Client

from safeguard.attachments.erasure import AttachmentEraser
from safeguard.attachments.service import attachments_for
from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import service_tokens
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.intake_client import ReferralClient
from safeguard.lifespan import Subscription, service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import Lifespan, build_app
from services.assessment import attachments
from services.assessment.events import CONSUMER, handle_event
from services.assessment.routes import (
    cases_router,
    metrics_router,
    tasks_router,
    transfers_router,
    triage_router,
)

DESCRIPTION = """\
Prevent police officers' inbox of tasks and their gateway assessments and police-led reviews.

* **Authentication**: a staff bearer token (`Authorization: Bearer <JWT>`); officers see the
  cases of the areas in their token only, plus the triage queue (`/v1/triage`) of cases whose
  area is not yet known, which they place in one of their areas (`POST /v1/cases/{ref}/area`).
* **Roles**: `prevent_officer` acts; `auditor` reads (never the police-only fields);
  `operator` sees `/v1/metrics` only; every other role is refused.
* **Purpose**: every read of case data states why in `X-Purpose` and is written to the
  access log.
* **Concurrency**: tasks carry an ETag; `assign` needs `If-Match`.
* **Errors**: RFC 9457 problem details; a decision on a case that has moved on is `409` with
  the current `stage`; `503` means nothing was recorded.
"""

INTAKE_TIMEOUT_SECONDS = 5.0


def create_app(
    settings: Settings | None = None, *, temporal: Client | None = None, consume: bool = True
) -> FastAPI:
    """Build the app; `consume=False` serves the read model without projecting into it."""
    settings = settings or get_settings()
    eraser = AttachmentEraser()
    subscriptions = (
        (Subscription(CONSUMER, [REFERRAL_EVENTS], handle_event), eraser.subscription())
        if consume
        else ()
    )
    base = service_lifespan(
        settings, subscriptions=subscriptions, needs_temporal=True, staff=True, temporal=temporal
    )
    return build_app(
        title="Prevent gateway assessment",
        description=DESCRIPTION,
        settings=settings,
        lifespan=_with_intake(settings, base, eraser),
        routers=[
            tasks_router,
            triage_router,
            transfers_router,
            cases_router,
            attachments.router,
            metrics_router,
        ],
    )


def _with_intake(settings: Settings, base: Lifespan, eraser: AttachmentEraser) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            attachments_for(settings) as opened,
            base(app),
            httpx.AsyncClient(timeout=INTAKE_TIMEOUT_SECONDS) as http,
            service_tokens(settings, ServiceClient.ASSESSMENT) as tokens,
        ):
            app.state.referrals = ReferralClient(settings, http, tokens)
            app.state.attachments = eraser.attachments = opened
            yield

    return lifespan
