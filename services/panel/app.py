"""The panel service's FastAPI app, its event consumer and its intake client."""

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
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.intake_client import ReferralClient
from safeguard.lifespan import Subscription, service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import Lifespan, build_app
from services.panel import attachments
from services.panel.events import CONSUMER, handle_event
from services.panel.register.routes import case_providers_router, register_router
from services.panel.reseal import seal_legacy_text
from services.panel.routes_cases import (
    cases_router,
    queue_router,
    reference_router,
    requests_router,
)
from services.panel.routes_links import internal_links_router, public_links_router
from services.panel.routes_panels import meetings_router, panels_router
from services.panel.routes_plans import plans_router, provider_router
from services.panel.routes_steps import steps_router
from services.panel.routes_transfers import transfer_steps_router, transfers_router
from services.panel.sealing import SERVICE

DESCRIPTION = """\
The local authority's Channel panel: panels and meetings, information requests, vulnerability
assessments, consent, decisions, support plans and reviews, and intervention providers' work.

* **Authentication**: a staff bearer token (`Authorization: Bearer <JWT>`).
* **Roles**: `channel_chair` acts for the areas in their token; `panel_member` reads the cases
  on the agendas of panels they sit on (and replies to information requests for their agency);
  `auditor` reads and never writes; `intervention_provider` sees and updates only the plan
  items assigned to their `provider_id` (the token's claim, which is also their entry's `id` in
  the approved-provider register); `prevent_officer` may ask for and record consent;
  `person_or_guardian` (a token with subject `consent:<reference>`, which the system issues
  to nobody: people answer by consent link, below) may answer or withdraw consent on that
  case; `operator` sees `/v1/metrics` only.
* **Consent links** (`/public/v1/consent-links/{token}/...`) take no credential: the link is
  one. Its holder gives the case's reference and the person's date of birth with every call;
  a link answers once, answering ends when it expires, and wrong details lock it after a few
  tries.
* **Approved providers**: support plans choose providers from the register
  (`/v1/providers`), kept by the deployment's `panel.provider_register_roles` (the chair by
  default); a plan naming a provider that is unknown, inactive, no longer approved, or not
  approved in the case's area or for the kind of support is refused (422).
* **Police-only fields** (deconfliction, database checks) never appear here.
* **Purpose**: every read of case data states why in `X-Purpose` and is written to the
  access log.
* **Errors**: RFC 9457 problem details; a step on a case that has moved on is `409` with the
  current `stage`; `503` means nothing was recorded.
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
        title="Channel panel",
        description=DESCRIPTION,
        settings=settings,
        lifespan=_with_intake(settings, base, eraser),
        routers=[
            queue_router,
            cases_router,
            attachments.router,
            steps_router,
            transfers_router,
            transfer_steps_router,
            requests_router,
            plans_router,
            panels_router,
            meetings_router,
            provider_router,
            register_router,
            case_providers_router,
            reference_router,
            public_links_router,
            internal_links_router,
        ],
    )


def _with_intake(settings: Settings, base: Lifespan, eraser: AttachmentEraser) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            attachments_for(settings) as opened,
            base(app),
            httpx.AsyncClient(timeout=INTAKE_TIMEOUT_SECONDS) as http,
            service_tokens(settings, ServiceClient.PANEL) as tokens,
            service_keyring(settings, service=SERVICE) as keyring,
        ):
            app.state.referrals = ReferralClient(settings, http, tokens)
            app.state.keyring = keyring
            app.state.attachments = eraser.attachments = opened
            await seal_legacy_text(app.state.pool, keyring)
            yield

    return lifespan
