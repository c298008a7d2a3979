"""Every service's app, served in process through ASGI, with credentials it accepts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.client import Client

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.codes import Role
from safeguard.db.pool import Pool, create_pool
from safeguard.settings import NotificationSettings, Settings
from services.assessment.app import create_app as assessment_app
from services.audit.app import create_app as audit_app
from services.codec.app import create_app as codec_app
from services.intake.app import create_app as intake_app
from services.notifications.app import create_app as notifications_app
from services.panel.app import create_app as panel_app
from services.statistics.app import create_app as statistics_app
from tests.intake.clients import register_client

AREA = "E08000003"
SERVICES = ("assessment", "audit", "codec", "intake", "notifications", "panel", "statistics")
ROLES = {
    "assessment": Role.PREVENT_OFFICER,
    "panel": Role.CHANNEL_CHAIR,
    "audit": Role.AUDITOR,
    "notifications": Role.OPERATOR,
    "codec": Role.AUDITOR,
    "statistics": Role.OPERATOR,
}


def build(service: str, settings: Settings, temporal: Client) -> FastAPI:
    """The service's app, its consumers and dispatch off."""
    quiet = NotificationSettings(dispatch_enabled=False, smtp_local_sink=False)
    factories = {
        "assessment": lambda: assessment_app(settings, temporal=temporal, consume=False),
        "panel": lambda: panel_app(settings, temporal=temporal, consume=False),
        "audit": lambda: audit_app(settings, temporal=temporal),
        "notifications": lambda: notifications_app(
            settings.model_copy(update={"notifications": quiet})
        ),
        "codec": lambda: codec_app(settings),
        "intake": lambda: intake_app(settings, temporal=temporal),
        "statistics": lambda: statistics_app(settings, consume=False),
    }
    return factories[service]()


@asynccontextmanager
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to `app` through ASGI, its lifespan running."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


@asynccontextmanager
async def served_in_process(
    service: str, settings: Settings, temporal: Client, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A client for the service and the headers of a caller it accepts."""
    key = development_signing_key(tmp_path)
    trusted = settings.model_copy(
        update={
            "staff_jwks": SecretStr(json.dumps(public_key_set(key))),
            "internal_api_token": SecretStr("t" * 32),
        }
    )
    pool = await create_pool(settings)
    try:
        credentials = await _credentials(service, pool, key)
        async with client(build(service, trusted, temporal)) as http:
            yield http, credentials
    finally:
        await pool.close()


async def _credentials(service: str, pool: Pool, key: dict[str, Any]) -> dict[str, str]:
    if service == "intake":
        return await register_client(pool, f"probe-{service}")
    principal = StaffPrincipal(subject="staff-1", role=ROLES[service], areas=(AREA,))
    token = mint(
        key, principal=principal, issuer="safeguard-dev", audience="safeguard", ttl_seconds=600
    )
    return {"Authorization": f"Bearer {token}", "X-Purpose": "probing the error answers"}
