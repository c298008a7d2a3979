"""A NUL (or another control character) is a 422 problem in every service, wherever it enters.

PostgreSQL refuses NUL in text: before the guard, such strings reached the database and the
request failed with a 500. The requests go through the ASGI interface, as a server would pass
them on, so a header can hold what an HTTP client library would refuse to send.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
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
from services.intake.openapi import SCHOOL_REFERRAL
from services.notifications.app import create_app as notifications_app
from services.panel.app import create_app as panel_app
from tests.intake.clients import register_client

AREA = "E08000003"
CASE = "PRV-2026-000001"
# (where, method, path, extra headers, JSON body): each holds one control character.
Probe = tuple[str, str, str, dict[str, str], Any]
HEADER = ("header.x-purpose", "GET", "/health/live", {"X-Purpose": "audit\x00"}, None)
PROBES: dict[str, list[Probe]] = {
    "assessment": [
        ("path", "GET", "/v1/cases/PRV%00", {}, None),
        ("query.assignee", "GET", "/v1/tasks?assignee=officer%00", {}, None),
        ("header.x-purpose", "GET", "/v1/tasks", {"X-Purpose": "triage\x00"}, None),
        ("body.summary", "POST", f"/v1/cases/{CASE}/information", {}, {"summary": "a\u0000b"}),
    ],
    "panel": [
        ("path", "GET", "/v1/cases/%00", {}, None),
        ("query.area", "GET", "/v1/queue?area=E0%00", {}, None),
        ("header.x-purpose", "GET", "/v1/queue", {"X-Purpose": "panel\x01"}, None),
        ("body.name", "POST", "/v1/panels", {}, {"area": AREA, "name": "North\u0000"}),
    ],
    "audit": [
        ("path", "GET", "/v1/cases/PRV%00/timeline", {}, None),
        ("query.offset", "GET", f"/v1/cases/{CASE}/reads?offset=%00", {}, None),
        ("header.x-purpose", "GET", f"/v1/cases/{CASE}/reads", {"X-Purpose": "audit\x00"}, None),
    ],
    "notifications": [
        ("path", "GET", "/v1/notifications/%00", {}, None),
        ("query.template", "GET", "/v1/notifications?template=case%00", {}, None),
        ("header.x-purpose", "GET", "/v1/notifications", {"X-Purpose": "told\x00"}, None),
        ("body.address", "PUT", "/v1/directory/r/s/email", {}, {"address": "a\u0000@b.c"}),
    ],
    "codec": [
        ("header.x-namespace", "POST", "/codec/decode", {"X-Namespace": "d\x00"}, {}),
        (
            "body.payloads.0.metadata.k",
            "POST",
            "/codec/decode",
            {},
            {"payloads": [{"metadata": {"k": "\u0000"}, "data": ""}]},
        ),
    ],
    "intake": [
        ("path", "GET", "/v1/referrals/PRV%00", {}, None),
        ("query.q", "GET", f"/v1/referrals/{CASE}?q=%1f", {}, None),
        ("header.idempotency-key", "POST", "/v1/referrals", {"Idempotency-Key": "k\x7f"}, {}),
        ("body.concern.description", "POST", "/v1/referrals", {}, "nul-in-description"),
    ],
}
ROLES = {
    "assessment": Role.PREVENT_OFFICER,
    "panel": Role.CHANNEL_CHAIR,
    "audit": Role.AUDITOR,
    "notifications": Role.OPERATOR,
    "codec": Role.AUDITOR,
}


def _app(service: str, settings: Settings, temporal: Client) -> FastAPI:
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
    }
    return factories[service]()


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


async def _credentials(service: str, pool: Pool, key: dict[str, Any]) -> dict[str, str]:
    if service == "intake":
        return await register_client(pool, "nul-probe")
    principal = StaffPrincipal(subject="staff-1", role=ROLES[service], areas=(AREA,))
    token = mint(
        key, principal=principal, issuer="safeguard-dev", audience="safeguard", ttl_seconds=600
    )
    # The directory takes the internal token; the probe's body is refused before that matters.
    return {"Authorization": f"Bearer {token}", "X-Purpose": "probing with control characters"}


def _body(body: Any) -> Any:
    if body != "nul-in-description":
        return body
    form = json.loads(json.dumps(SCHOOL_REFERRAL))
    form["concern"]["description"] = "Worrying posts\u0000 online."
    return form


@pytest.mark.parametrize("service", sorted(PROBES))
async def test_a_control_character_anywhere_is_a_422_problem(
    service: str, settings: Settings, temporal_client: Client, tmp_path: Path
) -> None:
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
        async with _client(_app(service, trusted, temporal_client)) as http:
            for where, method, path, headers, body in [*PROBES[service], HEADER]:
                answer = await http.request(
                    method, path, headers=credentials | headers, json=_body(body)
                )
                assert answer.status_code == 422, (where, answer.status_code, answer.text)
                assert answer.headers["content-type"] == "application/problem+json"
                problem = answer.json()
                assert [e["field"] for e in problem["errors"]] == [where], problem
                assert "\x00" not in answer.text
    finally:
        await pool.close()
