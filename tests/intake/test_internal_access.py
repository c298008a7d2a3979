"""Intake's internal API: each service's token opens only what it is granted, and every read of
personal data through it is in the access log and the audit log, naming the service."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import service_tokens
from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint
from safeguard.codes import Role
from safeguard.db.pool import Pool
from safeguard.intake_client import ReferralClient
from safeguard.settings import ServiceAuthSettings, Settings
from services.intake.app import create_app
from services.intake.starter import StartTiming
from tests.intake.clients import register_client
from tests.intake.conftest import Intake
from tests.intake.forms import school_form
from tests.keycloak_server import KeycloakServer
from tests.servers import serve
from tests.service_auth import service_headers

FORM = "/internal/v1/referrals/{}"
CONTACTS = "/internal/v1/referrals/{}/contacts"
# Who may read what: notifications the contacts only; the case services the form only.
ALLOWED = {
    (ServiceClient.NOTIFICATIONS, CONTACTS),
    (ServiceClient.ASSESSMENT, FORM),
    (ServiceClient.PANEL, FORM),
}
MATRIX = [(client, route) for client in ServiceClient for route in (FORM, CONTACTS)]
_NAMES = {FORM: "form", CONTACTS: "contacts"}


async def _referral(intake: Intake) -> UUID:
    answer = await intake.http.post("/v1/referrals", json=school_form(), headers=intake.agency_a)
    assert answer.status_code == 201, answer.text
    async with intake.pool.acquire() as conn:
        found: UUID = await conn.fetchval(
            "SELECT id FROM intake.referrals WHERE reference = $1", answer.json()["reference"]
        )
    return found


async def _reads(pool: Pool) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT service, subject, role, referral_id, fields, purpose FROM audit.access_log"
            " ORDER BY id"
        )
    return [dict(row) for row in rows]


async def _chained_reads(pool: Pool) -> list[tuple[str, str, UUID]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT actor, role, referral_id FROM audit.log_entries WHERE kind = 'read' ORDER BY id"
        )
    return [(row["actor"], row["role"], row["referral_id"]) for row in rows]


@pytest.mark.parametrize(("client", "route"), MATRIX, ids=lambda v: _NAMES.get(v, str(v)))
async def test_each_service_reads_only_what_it_is_granted(
    intake: Intake, settings: Settings, client: ServiceClient, route: str
) -> None:
    referral_id = await _referral(intake)
    answer = await intake.http.get(
        route.format(referral_id), headers=service_headers(settings, client)
    )
    if (client, route) in ALLOWED:
        assert answer.status_code == 200, answer.text
        [read] = await _reads(intake.pool)
        assert (read["service"], read["subject"], read["role"]) == ("intake", client, "service")
        assert read["referral_id"] == referral_id
        assert await _chained_reads(intake.pool) == [(client.value, "service", referral_id)]
    else:
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert client.value in answer.json()["detail"]
        assert await _reads(intake.pool) == []


async def test_the_log_names_the_fields_each_read_disclosed(
    intake: Intake, settings: Settings
) -> None:
    referral_id = await _referral(intake)
    for client, route in ((ServiceClient.PANEL, FORM), (ServiceClient.NOTIFICATIONS, CONTACTS)):
        answer = await intake.http.get(
            route.format(referral_id), headers=service_headers(settings, client)
        )
        assert answer.status_code == 200, answer.text
    form_read, contacts_read = await _reads(intake.pool)
    assert {"form.person", "form.referrer", "form.concern", "linked_referrals"} <= set(
        form_read["fields"]
    )
    assert form_read["purpose"] == "referral-forms.read"
    # The school's DSL has email and phone; the child's guardian a phone only.
    assert contacts_read["fields"] == [
        "referrer.email",
        "referrer.phone",
        "consent_contact.phone",
        "consent_contact.name",
        "consent_contact.postal_address",
        "consent_contact.route_hint",
    ]
    assert contacts_read["purpose"] == "contacts.read"


def _staff_token(settings: Settings) -> str:
    officer = StaffPrincipal(subject="officer-17", role=Role.PREVENT_OFFICER, areas=("E08000003",))
    return mint(
        development_signing_key(settings.data_dir),
        principal=officer,
        issuer=settings.staff_token_issuer,
        audience=settings.staff_token_audience,
        ttl_seconds=300,
    )


@pytest.mark.parametrize("route", [FORM, CONTACTS], ids=["form", "contacts"])
async def test_staff_partners_and_strangers_are_refused(
    intake: Intake, settings: Settings, route: str
) -> None:
    referral_id = await _referral(intake)
    refused = {
        "no token": {},
        "staff token": {"Authorization": f"Bearer {_staff_token(settings)}"},
        "partner API key": intake.agency_a,
        "the retired shared token": {"Authorization": "Bearer dev-internal-token"},
        "not a token": {"Authorization": "Bearer not.a.jwt"},
    }
    for why, headers in refused.items():
        answer = await intake.http.get(route.format(referral_id), headers=headers)
        assert answer.status_code == 401, why
        assert answer.headers["www-authenticate"] == 'Bearer realm="safeguard-internal"'
    assert await _reads(intake.pool) == []


async def test_a_form_read_through_the_callers_own_client_is_logged_under_it(
    intake: Intake, settings: Settings
) -> None:
    """The client the case services use, not a test-made token: the same rows result."""
    referral_id = await _referral(intake)
    callers = settings.model_copy(update={"intake_internal_url": intake.url})
    async with service_tokens(callers, ServiceClient.ASSESSMENT) as tokens:
        fetched = await ReferralClient(callers, intake.http, tokens).fetch(referral_id)
    assert fetched.referral is not None, fetched.gap
    [read] = await _reads(intake.pool)
    assert (read["subject"], read["referral_id"]) == ("svc-assessment", referral_id)


async def test_keycloak_client_credentials_open_the_contacts_and_not_the_form(
    keycloak: KeycloakServer,
    settings: Settings,
    temporal_client: Client,
    pool: Pool,
    tmp_path: Path,
) -> None:
    """The notifications service's real token, from the identity provider it is registered with."""
    trusting = settings.model_copy(update={"staff_oidc_issuer": keycloak.issuer})
    app = create_app(trusting, temporal=temporal_client, timing=StartTiming(poll_seconds=0.2))
    notifications = trusting.model_copy(
        update={
            "data_dir": tmp_path,  # no development key: the token must come from Keycloak
            "service_auth": ServiceAuthSettings(
                client_secret=SecretStr("dev-svc-notifications-secret")
            ),
        }
    )
    async with (
        serve(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
        service_tokens(notifications, ServiceClient.NOTIFICATIONS) as tokens,
    ):
        intake = Intake(url, http, pool, await register_client(pool, "agency-a"))
        referral_id = await _referral(intake)
        headers = {"Authorization": f"Bearer {await tokens.token()}"}
        contacts = await http.get(CONTACTS.format(referral_id), headers=headers)
        form = await http.get(FORM.format(referral_id), headers=headers)
    assert contacts.status_code == 200, contacts.text
    assert form.status_code == 403, form.text
    [read] = await _reads(pool)
    assert (read["subject"], read["role"], read["referral_id"]) == (
        "svc-notifications",
        "service",
        referral_id,
    )
