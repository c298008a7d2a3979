"""Service tokens: each service's own, from the identity provider or the development key.

The verifier is the one internal routes build from their settings; the issuer is the session's
real Keycloak where a client-credentials exchange is tested.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import jwt
import pytest
from pydantic import SecretStr, ValidationError

from safeguard.auth.service_deps import service_verifier_for
from safeguard.auth.service_identity import (
    GRANTS,
    Permission,
    ServiceClient,
    ServicePrincipal,
    service_principal_from,
)
from safeguard.auth.service_tokens import (
    ClientCredentials,
    DevelopmentTokens,
    ServiceAuthError,
    ServiceTokenUnavailableError,
    mint_service_token,
    service_tokens,
)
from safeguard.auth.staff import StaffPrincipal, StaffTokenError, development_signing_key, mint
from safeguard.auth.staff_verifier import verifier_for
from safeguard.codes import Role
from safeguard.settings import ServiceAuthSettings, Settings, StackPorts
from safeguard.stack.keycloak_realm import REALM_FILE, development_users
from tests.helpers import free_port
from tests.identity_provider import identity_provider
from tests.keycloak_server import KeycloakServer

pytestmark = pytest.mark.timeout(600)  # the session's Keycloak may start here
OFFICER = StaffPrincipal(subject="officer-17", role=Role.PREVENT_OFFICER, areas=("E08000003",))


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    # An issuer nobody serves: development tokens must verify without asking it.
    issuer = f"http://127.0.0.1:{free_port()}/realms/safeguard"
    return Settings.model_validate(
        {"environment": "test", "data_dir": tmp_path, "staff_oidc_issuer": issuer} | overrides
    )


async def _caller(settings: Settings, token: str) -> ServicePrincipal:
    claims = await service_verifier_for(settings).verified_claims(token)
    return service_principal_from(claims)


@pytest.mark.parametrize("client", list(ServiceClient))
async def test_each_development_token_names_its_client_and_carries_only_its_grants(
    tmp_path: Path, client: ServiceClient
) -> None:
    settings = _settings(tmp_path)
    async with service_tokens(settings, client) as tokens:
        caller = await _caller(settings, await tokens.token())
    assert caller == ServicePrincipal(client_id=client.value, permissions=GRANTS[client])


async def test_a_development_token_is_kept_until_it_nears_expiry_and_forgotten_on_refusal(
    tmp_path: Path,
) -> None:
    tokens = DevelopmentTokens(tmp_path, ServiceClient.PANEL, ServiceAuthSettings())
    first = await tokens.token()
    assert await tokens.token() == first
    tokens.forget(first)
    assert await tokens.token() != first


async def test_staff_tokens_are_no_service_tokens(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    staff = mint(
        development_signing_key(tmp_path),
        principal=OFFICER,
        issuer=settings.staff_token_issuer,
        audience=settings.staff_token_audience,
        ttl_seconds=60,
    )
    with pytest.raises(StaffTokenError, match="InvalidAudienceError"):
        await _caller(settings, staff)


async def test_service_tokens_are_no_staff_tokens(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    token = mint_service_token(
        development_signing_key(tmp_path),
        client=ServiceClient.NOTIFICATIONS,
        audience=settings.service_auth.audience,
    )
    with pytest.raises(StaffTokenError, match="untrusted issuer"):
        await verifier_for(settings).verify(token)
    # Signed by a trusted staff issuer's key, a service token still names no staff audience.
    claims = jwt.decode(token, options={"verify_signature": False}) | {"iss": "safeguard-dev"}
    key = jwt.PyJWK.from_dict(development_signing_key(tmp_path))
    restamped = jwt.encode(claims, key, algorithm="ES256", headers={"kid": key.key_id})
    with pytest.raises(StaffTokenError, match="InvalidAudienceError"):
        await verifier_for(settings).verify(restamped)


async def test_a_service_token_for_the_staff_audience_or_by_another_key_is_refused(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    client = ServiceClient.NOTIFICATIONS
    wrong_audience = mint_service_token(
        development_signing_key(tmp_path), client=client, audience="safeguard"
    )
    other_key = mint_service_token(
        development_signing_key(tmp_path / "elsewhere"),
        client=client,
        audience="safeguard-internal",
    )
    with pytest.raises(StaffTokenError, match="InvalidAudienceError"):
        await _caller(settings, wrong_audience)
    with pytest.raises(StaffTokenError, match="unknown key"):
        await _caller(settings, other_key)


async def test_production_never_trusts_nor_mints_development_service_tokens(
    tmp_path: Path,
) -> None:
    async with identity_provider() as idp:
        settings = Settings.model_construct(
            environment="production",
            data_dir=tmp_path,
            staff_oidc_issuer=idp.issuer,
            service_auth=ServiceAuthSettings(),
            staff_jwks=None,
        )
        developer = mint_service_token(
            development_signing_key(tmp_path / "laptop"),
            client=ServiceClient.PANEL,
            audience="safeguard-internal",
        )
        with pytest.raises(StaffTokenError, match="untrusted issuer"):
            await _caller(settings, developer)
        issued = idp.token(
            aud="safeguard-internal", azp="svc-panel", roles=["referral-forms.read"], areas=None
        )
        assert await _caller(settings, issued) == ServicePrincipal(
            client_id="svc-panel", permissions=frozenset({Permission.REFERRAL_FORMS_READ})
        )
        with pytest.raises(ServiceAuthError, match="SAFEGUARD_SERVICE_AUTH__CLIENT_SECRET"):
            async with service_tokens(settings, ServiceClient.PANEL):
                pass
    assert not (tmp_path / "keys").exists()


def test_production_refuses_the_retired_shared_token(tmp_path: Path) -> None:
    production = {
        "environment": "production",
        "data_dir": tmp_path,
        "payload_keys": {"prod-1": "cHJvZHVjdGlvbi1wYXlsb2FkLWtleS0wMDAwMDAwMDA="},
        "payload_active_key": "prod-1",
        "audit_chain_key": "a-real-chain-key",
    }
    assert Settings.model_validate(production).internal_api_token is None
    with pytest.raises(ValidationError, match="SAFEGUARD_INTERNAL_API_TOKEN is retired"):
        Settings.model_validate(production | {"internal_api_token": "a-long-random-secret"})


def test_permissions_come_from_roles_or_scope_and_nothing_else_counts() -> None:
    claims = {
        "azp": "svc-notifications",
        "roles": ["contacts.read", "prevent_officer", "default-roles-safeguard"],
        "scope": "profile consent-links.issue email",
    }
    assert service_principal_from(claims).permissions == {
        Permission.CONTACTS_READ,
        Permission.CONSENT_LINKS_ISSUE,
    }
    assert service_principal_from({"client_id": "svc-x", "azp": "other"}).client_id == "svc-x"
    with pytest.raises(StaffTokenError, match="names no client"):
        service_principal_from({"sub": "officer-17", "roles": ["contacts.read"]})


def test_the_development_realm_grants_what_the_code_expects() -> None:
    realm = json.loads(REALM_FILE.read_text())
    accounts = {
        user["serviceAccountClientId"]: set(user["clientRoles"]["safeguard-internal"])
        for user in realm["users"]
        if "serviceAccountClientId" in user
    }
    assert accounts == {client.value: set(grants) for client, grants in GRANTS.items()}
    clients = {client["clientId"]: client for client in realm["clients"]}
    for client in GRANTS:
        settings = clients[client.value]
        assert settings["serviceAccountsEnabled"] and not settings["publicClient"]
        assert not settings["standardFlowEnabled"] and not settings["directAccessGrantsEnabled"]
    # Nobody signs in as a service: `safeguard run` lists people only.
    assert not [user for user in development_users() if user.username.startswith("service-")]


async def _issuer_settings(keycloak: KeycloakServer, tmp_path: Path, secret: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path,
        staff_oidc_issuer=keycloak.issuer,
        service_auth=ServiceAuthSettings(client_secret=SecretStr(secret)),
    )


async def test_keycloak_issues_notifications_its_own_token_for_contacts_and_links_only(
    keycloak: KeycloakServer, tmp_path: Path
) -> None:
    client = ServiceClient.NOTIFICATIONS
    settings = await _issuer_settings(keycloak, tmp_path, f"dev-{client.value}-secret")
    async with service_tokens(settings, client) as tokens:
        assert isinstance(tokens, ClientCredentials)
        token = await tokens.token()
        # Kept while valid: one exchange serves every call, even concurrent ones.
        assert set(await asyncio.gather(*(tokens.token() for _ in range(5)))) == {token}
        tokens.forget(token)
        renewed = await tokens.token()
    assert renewed != token
    caller = await _caller(settings, token)
    assert caller == ServicePrincipal(
        client_id="svc-notifications",
        permissions=frozenset({Permission.CONTACTS_READ, Permission.CONSENT_LINKS_ISSUE}),
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == keycloak.issuer and claims["azp"] == "svc-notifications"


@pytest.mark.parametrize("client", [ServiceClient.ASSESSMENT, ServiceClient.PANEL])
async def test_keycloak_grants_the_case_services_the_referral_form(
    keycloak: KeycloakServer, tmp_path: Path, client: ServiceClient
) -> None:
    settings = await _issuer_settings(keycloak, tmp_path, f"dev-{client.value}-secret")
    async with service_tokens(settings, client) as tokens:
        caller = await _caller(settings, await tokens.token())
    assert caller.client_id == client.value
    assert caller.permissions == {Permission.REFERRAL_FORMS_READ}


async def test_a_wrong_secret_or_an_unreachable_issuer_gives_no_token(
    keycloak: KeycloakServer, tmp_path: Path
) -> None:
    wrong = await _issuer_settings(keycloak, tmp_path, "not-the-secret")
    async with service_tokens(wrong, ServiceClient.PANEL) as tokens:
        with pytest.raises(ServiceTokenUnavailableError, match="svc-panel"):
            await tokens.token()
    down = Settings(
        environment="test",
        data_dir=tmp_path,
        stack=StackPorts(keycloak=free_port()),
        service_auth=ServiceAuthSettings(client_secret=SecretStr("x"), timeout_seconds=1),
    )
    async with service_tokens(down, ServiceClient.PANEL) as tokens:
        with pytest.raises(ServiceTokenUnavailableError, match="ConnectError"):
            await tokens.token()


async def test_a_staff_sign_in_client_cannot_get_a_service_token(
    keycloak: KeycloakServer,
) -> None:
    # The web front end's client has no service account: no client-credentials grant at all.
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(
            f"{keycloak.issuer}/protocol/openid-connect/token",
            data={"grant_type": "client_credentials"},
            auth=(keycloak.client_id, keycloak.client_secret),
        )
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == "unauthorized_client"
