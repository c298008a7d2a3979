"""The intake service's FastAPI app: routes, the event consumer and the workflow starter."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from safeguard.attachments.erasure import AttachmentEraser
from safeguard.attachments.service import attachments_for
from safeguard.background import running
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.fieldcrypt.setup import field_crypto
from safeguard.lifespan import Subscription, service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import build_app
from services.intake import attachments, store
from services.intake.body_limit import BodyLimit
from services.intake.events import CONSUMER, handle_event
from services.intake.facts import facts_router
from services.intake.internal_routes import internal_router
from services.intake.reseal import seal_legacy_forms
from services.intake.routes import router
from services.intake.starter import StartTiming, WorkflowStarter

MAX_BODY_BYTES = 64 * 1024
# File uploads are capped by the attachments package as they stream, at their own limit.
UPLOAD_PATHS = re.compile(r"/v1/referrals/[^/]+/attachments")

DESCRIPTION = """\
Partner agencies (schools, health, councils, police, probation) and the public web form submit
Prevent referrals here.

* **Authentication**: `Authorization: Bearer <API key>`; keys are issued per client by
  `safeguard agencies register` and replaced by `safeguard agencies rotate`.
* **Idempotency**: send an `Idempotency-Key` with each new referral; retrying after a timeout
  then never makes a second case.
* **Rate limits**: per client, in two budgets: submissions (for a partner, by default, 60 a
  minute in bursts of up to 20) and status reads (600 a minute, bursts of 100), so polling
  statuses never holds up a referral. A `429` says which budget is spent and how long to wait
  in `Retry-After`.
* **Errors**: RFC 9457 problem details (`application/problem+json`), naming each bad field.
* **Acknowledgement**: the `201` answer carries the referral's reference. The referrer is also
  told it by their agency's system (where it has a webhook), else by email, else by a text to
  their phone where the deployment sends texts (GOV.UK Notify). Where none of these can reach
  them (a phone number only, and no texts), no one else tells them: show them the reference.
* **Status**: you see only your own referrals, and only whether each is received, being
  assessed or closed. The `201` comes as soon as the referral is stored; its case starts a
  moment later, so a status read at once may still say `received`.
"""


def _lifespan(
    settings: Settings, temporal: Client | None, timing: StartTiming | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    subscription = Subscription(CONSUMER, [REFERRAL_EVENTS], handle_event)
    eraser = AttachmentEraser()
    # Temporal is connected by the starter, not here, so intake starts and accepts while
    # Temporal is down.
    base = service_lifespan(settings, subscriptions=(subscription, eraser.subscription()))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            attachments_for(settings) as opened,
            base(app),
            field_crypto(settings, service=store.SERVICE) as fields,
        ):
            app.state.attachments = eraser.attachments = opened
            app.state.fields = fields
            await seal_legacy_forms(app.state.pool, fields)
            app.state.starter = starter = WorkflowStarter(
                pool=app.state.pool,
                settings=settings,
                keyring=fields.keyring,
                temporal=temporal,
                timing=timing,
            )
            async with running(starter.run()):
                yield

    return lifespan


def create_app(
    settings: Settings | None = None,
    *,
    temporal: Client | None = None,
    timing: StartTiming | None = None,
) -> FastAPI:
    """Build the app; tests pass their own settings, Temporal client and retry timings."""
    settings = settings or get_settings()
    app = build_app(
        title="Prevent referral intake",
        description=DESCRIPTION,
        settings=settings,
        lifespan=_lifespan(settings, temporal, timing),
        routers=[router, attachments.router, internal_router, facts_router],
    )
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, exempt=UPLOAD_PATHS)
    return app
