"""Every staff API's OpenAPI, tested by schemathesis with all its checks and every phase, the
stateful one included (sequences of calls along the links schemathesis infers: a panel created,
then read, given members and meetings), with valid credentials: no 5xx, no lies.

Intake's own run is in tests/intake/test_schemathesis.py (its own process, a partner's key).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.client import Client

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import bearer, mint_service_token
from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set
from safeguard.codes import Role
from safeguard.settings import NotificationSettings, Settings
from services.assessment.app import create_app as assessment_app
from services.audit.app import create_app as audit_app
from services.codec.app import create_app as codec_app
from services.intake.app import create_app as intake_app
from services.notifications.app import create_app as notifications_app
from services.panel.app import create_app as panel_app
from services.statistics.app import create_app as statistics_app
from tests.openapi.schemathesis import run_schemathesis
from tests.servers import serve

AREA = "E08000003"
Factory = Callable[[Settings, Client], FastAPI]

# Each service with the role its API is mostly for; the case services also ask intake.
SERVICES: dict[str, tuple[Factory, Role]] = {
    "assessment": (lambda s, t: assessment_app(s, temporal=t, consume=False), Role.PREVENT_OFFICER),
    "panel": (lambda s, t: panel_app(s, temporal=t, consume=False), Role.CHANNEL_CHAIR),
    "audit": (lambda s, t: audit_app(s, temporal=t), Role.AUDITOR),
    "notifications": (lambda s, t: notifications_app(s), Role.OPERATOR),
    "codec": (lambda s, t: codec_app(s), Role.AUDITOR),
    "statistics": (lambda s, t: statistics_app(s, consume=False), Role.OPERATOR),
}
ASKS_INTAKE = frozenset({"assessment", "panel"})
# Audit, the codec and the statistics create nothing a later call could use: no links, so no
# stateful phase.
STATELESS = frozenset({"audit", "codec", "statistics"})
# Routes for other services, not staff: each run again with the client that holds their
# permission (a staff token only ever sees their 401).
SERVICE_ROUTES: dict[str, tuple[str, ServiceClient, str]] = {
    "notifications-directory": ("notifications", ServiceClient.ADMIN, "^/v1/directory"),
}


def _token(key: dict[str, Any], role: Role) -> str:
    principal = StaffPrincipal(subject=f"{role.value}-1", role=role, areas=(AREA,))
    return mint(
        key, principal=principal, issuer="safeguard-dev", audience="safeguard", ttl_seconds=900
    )


@asynccontextmanager
async def _served(
    service: str, settings: Settings, temporal_client: Client, key: dict[str, Any]
) -> AsyncIterator[str]:
    """`service` served (with intake behind it where it asks intake); its URL."""
    factory, _ = SERVICES[service]
    async with AsyncExitStack() as stack:
        intake = "http://127.0.0.1:9"  # nothing listens: a call there would show as a 5xx
        if service in ASKS_INTAKE:
            app = intake_app(settings, temporal=temporal_client)
            intake = await stack.enter_async_context(serve(app))
        served = settings.model_copy(
            update={
                "staff_jwks": SecretStr(json.dumps(public_key_set(key))),
                "intake_internal_url": intake,
                "notifications": NotificationSettings(
                    dispatch_enabled=False, smtp_local_sink=False
                ),
            }
        )
        yield await stack.enter_async_context(serve(factory(served, temporal_client)))


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_all_checks_pass(
    service: str,
    settings: Settings,
    temporal_client: Client,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    key = development_signing_key(tmp_path)
    async with _served(service, settings, temporal_client, key) as url:
        # The token only: schemathesis makes up the other headers (X-Purpose) from the OpenAPI.
        headers = {"Authorization": f"Bearer {_token(key, SERVICES[service][1])}"}
        run = await run_schemathesis(url, headers, tmp_path)
    record_property("schemathesis_cases", run.cases)
    assert run.returncode == 0, run.output[-8000:]
    stateful = "skip" if service in STATELESS else "success"
    assert run.phases["stateful"] == stateful, run.phases


@pytest.mark.parametrize("routes", sorted(SERVICE_ROUTES))
async def test_service_routes_pass_with_the_permitted_clients_token(
    routes: str,
    settings: Settings,
    temporal_client: Client,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    service, client, paths = SERVICE_ROUTES[routes]
    key = development_signing_key(tmp_path)
    # The development service issuer signs with the data directory's key, as in development.
    async with _served(service, settings, temporal_client, key) as url:
        token = mint_service_token(
            development_signing_key(settings.data_dir),
            client=client,
            audience=settings.service_auth.audience,
            ttl_seconds=900,
        )
        run = await run_schemathesis(url, bearer(token), tmp_path, paths=paths)
    record_property("schemathesis_cases", run.cases)
    assert run.returncode == 0, run.output[-8000:]
    assert run.cases > 0
    assert run.phases["stateful"] in ("success", "skip"), run.phases
