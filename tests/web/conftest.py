"""The whole system a Prevent officer meets, served for real, and a real browser to use it.

Keycloak (the session's, from tests/conftest.py), intake, assessment, the worker and outbox
relay, and the web front end on the port the realm's redirect URI names. Chromium is Debian's
(`make test` installs it); a missing browser fails the tests rather than skipping them.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from temporalio.client import Client

from safeguard.background import running
from safeguard.db.pool import Pool, create_pool
from safeguard.outbox import OutboxRelay
from safeguard.settings import NotificationSettings, Settings, WebSettings
from services.assessment.app import create_app as assessment_app
from services.audit.app import create_app as audit_app
from services.intake.app import create_app as intake_app
from services.intake.starter import StartTiming
from services.notifications.app import create_app as notifications_app
from services.notifications.sink import SmtpSink
from services.panel.app import create_app as panel_app
from services.statistics.app import create_app as statistics_app
from services.web.app import create_app as web_app
from tests.helpers import free_port
from tests.intake.clients import case_started, register_client
from tests.panel.driver import new_key, referral_form
from tests.servers import serve
from workflows.referral.worker import build_worker
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

# Page tests never sign in through an issuer, so none needs to answer here.
UNREACHABLE_ISSUER = "http://127.0.0.1:9/realms/none"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Site:
    """The running system: the web front end's URL and the partner's way in."""

    url: str
    intake: str
    assessment: str
    panel: str
    audit: str
    http: httpx.AsyncClient
    pool: Pool
    temporal: Client
    partners: dict[str | None, dict[str, str]]
    settings: Settings
    # Mail the notifications service sent, when the site runs it (`mailed_site`).
    mail: SmtpSink | None = None
    # The statistics API (without its consumer: tests put the fact rows in place).
    statistics: str = ""

    async def refer(
        self, *, area: str | None = "E08000003", form: dict[str, Any] | None = None
    ) -> str:
        """A partner's referral through intake (no area: it lands in triage); its reference."""
        form = form or referral_form()
        if area is None:
            del form["area"]
        else:
            form["area"] = area
        answer = await self.http.post(
            f"{self.intake}/v1/referrals",
            json=form,
            headers=self.partners[area] | {"Idempotency-Key": new_key()},
        )
        assert answer.status_code == 201, answer.text
        reference: str = answer.json()["reference"]
        await case_started(self.http, self.intake, self.partners[area], reference)
        return reference

    async def decisions(self, reference: str) -> list[Any]:
        """The workflow's own record of who decided what."""
        handle = self.temporal.get_workflow_handle(workflow_id_for(reference))
        records: list[Any] = await handle.query(ReferralWorkflow.decisions)
        return records


@asynccontextmanager
async def running_site(
    settings: Settings, temporal: Client, *, issuer: str, web_port: int, mail: bool = False
) -> AsyncIterator[Site]:
    """Every service an officer's work touches, trusting `issuer` (and the dev key); with
    `mail`, the notifications service too, sending to an SMTP sink the test can read."""
    configured = settings.model_copy(update={"staff_oidc_issuer": issuer})
    pool = await create_pool(configured)
    worker = build_worker(temporal, pool, task_queue=configured.temporal_task_queue)
    relay = OutboxRelay(settings=configured, pool=pool)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(worker.run(), relay.run()))
        timing = StartTiming(poll_seconds=0.2)
        intake = await stack.enter_async_context(
            serve(intake_app(configured, temporal=temporal, timing=timing))
        )
        internal = configured.model_copy(update={"intake_internal_url": intake})
        assessment = await stack.enter_async_context(
            serve(assessment_app(internal, temporal=temporal))
        )
        panel = await stack.enter_async_context(serve(panel_app(internal, temporal=temporal)))
        audit = await stack.enter_async_context(serve(audit_app(internal, temporal=temporal)))
        statistics = await stack.enter_async_context(serve(statistics_app(internal, consume=False)))
        web_settings = WebSettings(
            oidc_issuer=issuer,
            public_url=f"http://127.0.0.1:{web_port}",
            assessment_url=assessment,
            panel_url=panel,
            audit_url=audit,
            statistics_url=statistics,
        )
        url = await stack.enter_async_context(
            serve(web_app(internal.model_copy(update={"web": web_settings})), port=web_port)
        )
        sink = None
        if mail:
            sink = await stack.enter_async_context(_notifying(internal, web_settings, panel))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        partners = {
            "E08000003": await register_client(pool, "riverside-academy"),
            None: await register_client(pool, "helpline", area=None),
        }
        yield Site(
            url,
            intake,
            assessment,
            panel,
            audit,
            http,
            pool,
            temporal,
            partners,
            configured,
            sink,
            statistics,
        )
    await pool.close()


@asynccontextmanager
async def _notifying(settings: Settings, web: WebSettings, panel: str) -> AsyncIterator[SmtpSink]:
    """The notifications service, its consent links pointing at the site, mailing a sink."""
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    await sink.start()
    notifying = settings.model_copy(
        update={
            "web": web,
            "panel_internal_url": panel,
            "notifications": NotificationSettings(
                smtp_host=sink.host, smtp_port=sink.port, smtp_local_sink=False
            ),
        }
    )
    try:
        async with serve(notifications_app(notifying)):
            yield sink
    finally:
        await sink.stop()


@pytest.fixture
async def site(settings: Settings, temporal_client: Client, keycloak: Any) -> AsyncIterator[Site]:
    """The system behind the session's real Keycloak."""
    async with running_site(
        settings, temporal_client, issuer=keycloak.issuer, web_port=keycloak.web_port
    ) as running_:
        yield running_


@pytest.fixture
async def mailed_site(
    settings: Settings, temporal_client: Client, keycloak: Any
) -> AsyncIterator[Site]:
    """The system behind Keycloak with the notifications service mailing an SMTP sink."""
    async with running_site(
        settings, temporal_client, issuer=keycloak.issuer, web_port=keycloak.web_port, mail=True
    ) as running_:
        yield running_


@pytest.fixture
async def pages(settings: Settings, temporal_client: Client) -> AsyncIterator[Site]:
    """The system without an identity provider: page tests put sessions in place themselves."""
    async with running_site(
        settings, temporal_client, issuer=UNREACHABLE_ISSUER, web_port=free_port()
    ) as running_:
        yield running_


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless Chromium under Playwright."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    fresh = await browser.new_context()
    yield fresh
    await fresh.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    """One tab."""
    return await context.new_page()
