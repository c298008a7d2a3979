"""Staff tokens from an OpenID Connect issuer: discovery, keys, rotation, outages, trusts.

The issuer is real HTTP on a loopback port (tests/identity_provider.py); the verifier is the
one services build from their settings.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI

from safeguard.auth.staff import StaffPrincipal, StaffTokenError, development_signing_key, mint
from safeguard.auth.staff_deps import StaffDep
from safeguard.auth.staff_verifier import StaffVerifier, verifier_for
from safeguard.codes import Role
from safeguard.errors import PROBLEM_JSON, install_problem_handlers
from safeguard.settings import Settings, StackPorts
from tests.helpers import assert_eventually, free_port
from tests.identity_provider import (
    IdentityProvider,
    SigningKey,
    ec_key,
    identity_provider,
    rsa_key,
)
from tests.servers import serve

OFFICER = StaffPrincipal(
    subject="officer-17", role=Role.PREVENT_OFFICER, areas=("E08000003",), agency="police"
)


def _settings(tmp_path: Path, issuer: str, **overrides: Any) -> Settings:
    return Settings(environment="test", data_dir=tmp_path, staff_oidc_issuer=issuer, **overrides)


async def _refusal(verifier: StaffVerifier, token: str) -> str:
    with pytest.raises(StaffTokenError) as refused:
        await verifier.verify(token)
    assert token not in str(refused.value)
    return str(refused.value)


async def test_keycloak_and_development_tokens_are_both_trusted_outside_production(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with identity_provider(port=port) as keycloak:
        settings = Settings(environment="test", data_dir=tmp_path, stack=StackPorts(keycloak=port))
        verifier = verifier_for(settings)
        developer = mint(
            development_signing_key(tmp_path),
            principal=OFFICER,
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=60,
        )
        assert await verifier.verify(keycloak.token()) == OFFICER
        assert await verifier.verify(developer) == OFFICER
        assert (keycloak.discovery_fetches, keycloak.jwks_fetches) == (1, 1)


@pytest.mark.parametrize(
    "make_key",
    [lambda: rsa_key("RS256"), lambda: rsa_key("PS256"), ec_key],
    ids=["RS256", "PS256", "ES256"],
)
async def test_rsa_pss_and_ec_signatures_are_accepted(
    tmp_path: Path, make_key: Callable[[], SigningKey]
) -> None:
    async with identity_provider(make_key()) as idp:
        verifier = verifier_for(_settings(tmp_path, idp.issuer))
        # Keycloak sends `aud` as a list, other issuers as one string.
        assert await verifier.verify(idp.token()) == OFFICER
        assert await verifier.verify(idp.token(aud="safeguard")) == OFFICER


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _resigned(token: str, header: dict[str, Any], secret: bytes | None) -> str:
    """`token`'s claims under another header, HMAC-signed with `secret` (or unsigned)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{token.split('.')[1]}"
    if secret is None:
        return f"{signing_input}."
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _forgery(idp: IdentityProvider, case: str) -> str:
    key = idp.keys[0]
    now = int(time.time())
    public_pem = key.private.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    impostor = SigningKey(key.kid, key.algorithm, rsa_key().private)
    builders: dict[str, Callable[[], str]] = {
        "other_issuer": lambda: idp.token(iss="http://127.0.0.1:9/realms/other"),
        "issuer_with_slash": lambda: idp.token(iss=f"{idp.issuer}/"),
        "audience": lambda: idp.token(aud=["account"]),
        "expired": lambda: idp.token(iat=now - 600, exp=now - 120),
        "not_yet_valid": lambda: idp.token(nbf=now + 300),
        "issued_in_future": lambda: idp.token(iat=now + 300, exp=now + 900),
        "no_expiry": lambda: idp.token(exp=None),
        "alg_none": lambda: _resigned(idp.token(), {"alg": "none", "kid": key.kid}, None),
        "hs256_public_key": lambda: _resigned(
            idp.token(), {"alg": "HS256", "typ": "JWT", "kid": key.kid}, public_pem
        ),
        "other_key_same_kid": lambda: idp.token(impostor),
        "unknown_kid": lambda: idp.token(rsa_key()),
        "no_kid": lambda: jwt.encode({"iss": idp.issuer}, key.private, algorithm="RS256"),
    }
    return builders[case]()


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("other_issuer", "token from an untrusted issuer"),
        ("issuer_with_slash", "token from an untrusted issuer"),
        ("audience", "token rejected: InvalidAudienceError"),
        ("expired", "token expired"),
        ("not_yet_valid", "token rejected: ImmatureSignatureError"),
        ("issued_in_future", "token rejected: ImmatureSignatureError"),
        ("no_expiry", "token rejected: MissingRequiredClaimError"),
        ("alg_none", "token rejected: InvalidAlgorithmError"),
        ("hs256_public_key", "token rejected: InvalidAlgorithmError"),
        ("other_key_same_kid", "token rejected: InvalidSignatureError"),
        ("unknown_kid", "token signed by an unknown key"),
        ("no_kid", "token names no signing key (kid)"),
    ],
)
async def test_untrustworthy_tokens_are_refused_with_a_reason(
    tmp_path: Path, case: str, reason: str
) -> None:
    async with identity_provider() as idp:
        verifier = verifier_for(_settings(tmp_path, idp.issuer))
        assert await _refusal(verifier, _forgery(idp, case)) == reason


async def test_a_rotated_key_is_fetched_once_when_a_token_first_names_it(tmp_path: Path) -> None:
    old, new = rsa_key(), ec_key()
    async with identity_provider(old) as idp:
        verifier = verifier_for(_settings(tmp_path, idp.issuer, staff_oidc_refetch_seconds=0))
        assert await verifier.verify(idp.token(old)) == OFFICER
        idp.keys = [new]
        assert await verifier.verify(idp.token(new)) == OFFICER
        assert await verifier.verify(idp.token(new)) == OFFICER
        assert (idp.discovery_fetches, idp.jwks_fetches) == (1, 2)


async def test_a_remembered_token_is_refused_once_the_key_set_refresh_drops_its_key(
    tmp_path: Path,
) -> None:
    old, new = rsa_key(), ec_key()
    async with identity_provider(old) as idp:
        settings = _settings(
            tmp_path, idp.issuer, staff_oidc_jwks_lifetime_seconds=1, staff_oidc_refetch_seconds=0
        )
        verifier = verifier_for(settings)
        token = idp.token(old)
        assert await verifier.verify(token) == OFFICER
        idp.keys = [new]  # the old key is withdrawn
        # Trusted while the fetched key set holds it, remembered or not ...
        assert await verifier.verify(token) == OFFICER
        assert idp.jwks_fetches == 1
        # ... and refused once the set is fetched again without it.
        await asyncio.sleep(1.2)
        assert await _refusal(verifier, token) == "token signed by an unknown key"
        assert await verifier.verify(idp.token(new)) == OFFICER


async def test_a_flood_of_unknown_key_ids_fetches_at_most_once_per_interval(
    tmp_path: Path,
) -> None:
    old, new, bogus = rsa_key(), rsa_key(), rsa_key().private
    async with identity_provider(old) as idp:
        settings = _settings(tmp_path, idp.issuer, staff_oidc_refetch_seconds=3.0)
        verifier = verifier_for(settings)
        made_up = [SigningKey(f"made-up-{n}", "RS256", bogus) for n in range(20)]
        flood = [idp.token(key) for key in made_up] + [idp.token(new)]
        assert await verifier.verify(idp.token(old)) == OFFICER
        idp.keys = [new]
        reasons = await asyncio.gather(*(_refusal(verifier, token) for token in flood))
        assert set(reasons) == {"token signed by an unknown key"}
        assert idp.jwks_fetches == 1

        async def accepted() -> bool:
            try:
                return await verifier.verify(idp.token(new)) == OFFICER
            except StaffTokenError:
                return False

        # Asked every 50 ms: refused until the interval has passed, then one fetch finds it.
        await assert_eventually(accepted, within=10, interval=0.05)
        assert idp.jwks_fetches == 2
        await asyncio.gather(*(_refusal(verifier, token) for token in flood[:-1]))
        assert idp.jwks_fetches == 2


def _staff_app(settings: Settings) -> FastAPI:
    """The smallest service: the shared lifespan's verifier and one staff route."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.staff_verifier = verifier_for(settings)
        yield

    app = FastAPI(lifespan=lifespan)
    install_problem_handlers(app)

    @app.get("/whoami")
    async def whoami(staff: StaffDep) -> dict[str, str]:
        return {"subject": staff.subject, "role": staff.role.value}

    return app


async def test_while_the_issuer_is_down_the_app_starts_and_answers_503_with_retry_after(
    tmp_path: Path,
) -> None:
    port, key = free_port(), rsa_key()
    issuer = f"http://127.0.0.1:{port}/realms/safeguard"
    token = IdentityProvider(issuer, [key]).token()
    settings = _settings(tmp_path, issuer, staff_oidc_refetch_seconds=30)
    headers = {"Authorization": f"Bearer {token}"}
    async with serve(_staff_app(settings)) as url, httpx.AsyncClient() as http:
        response = await http.get(f"{url}/whoami", headers=headers)
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["title"] == "Identity provider unavailable"
        assert 1 <= int(response.headers["retry-after"]) <= 30
        assert token not in response.text
        async with identity_provider(key, port=port) as idp:
            # Within the back-off nobody asks the issuer again, even now it is back.
            assert (await http.get(f"{url}/whoami", headers=headers)).status_code == 503
            assert idp.discovery_fetches == 0


async def test_once_the_issuer_is_back_its_tokens_are_accepted(tmp_path: Path) -> None:
    port, key = free_port(), rsa_key()
    issuer = f"http://127.0.0.1:{port}/realms/safeguard"
    headers = {"Authorization": f"Bearer {IdentityProvider(issuer, [key]).token()}"}
    settings = _settings(tmp_path, issuer, staff_oidc_refetch_seconds=0)
    async with serve(_staff_app(settings)) as url, httpx.AsyncClient() as http:
        assert (await http.get(f"{url}/whoami", headers=headers)).status_code == 503
        async with identity_provider(key, port=port):
            response = await http.get(f"{url}/whoami", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"subject": "officer-17", "role": "prevent_officer"}


async def test_a_bad_token_is_401_not_503_even_while_the_issuer_is_down(tmp_path: Path) -> None:
    issuer = f"http://127.0.0.1:{free_port()}/realms/safeguard"
    async with serve(_staff_app(_settings(tmp_path, issuer))) as url, httpx.AsyncClient() as http:
        response = await http.get(f"{url}/whoami", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="safeguard"'


async def test_production_trusts_only_its_configured_issuer_never_the_development_key(
    tmp_path: Path,
) -> None:
    async with identity_provider(path="/tenant-id/v2.0") as entra:
        settings = Settings.model_construct(
            environment="production", data_dir=tmp_path, staff_oidc_issuer=entra.issuer
        )
        verifier = verifier_for(settings)
        developer = mint(
            development_signing_key(tmp_path / "laptop"),
            principal=OFFICER,
            issuer="safeguard-dev",
            audience="safeguard",
            ttl_seconds=60,
        )
        assert set(verifier.trusts) == {entra.issuer}
        assert await verifier.verify(entra.token()) == OFFICER
        assert await _refusal(verifier, developer) == "token from an untrusted issuer"
        assert not (tmp_path / "keys").exists()


async def test_claim_names_come_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEGUARD_STAFF_CLAIMS__SUBJECT", "oid")
    monkeypatch.setenv("SAFEGUARD_STAFF_CLAIMS__ROLES", "app_roles")
    monkeypatch.setenv("SAFEGUARD_STAFF_CLAIMS__AREAS", "extn.areas")
    async with identity_provider(path="/tenant-id/v2.0") as entra:
        verifier = verifier_for(_settings(tmp_path, entra.issuer))
        claims = {"sub": "pairwise-subject", "oid": "5f0c-oid", "roles": None, "areas": None}
        token = entra.token(claims=claims | {"app_roles": "auditor", "extn.areas": ["E09000033"]})
        assert await verifier.verify(token) == StaffPrincipal(
            subject="5f0c-oid", role=Role.AUDITOR, areas=("E09000033",), agency="police"
        )
        assert await _refusal(verifier, entra.token(oid="5f0c-oid")) == (
            "token names no safeguard roles in claim 'app_roles'; exactly one is required"
        )


def test_one_issuer_cannot_be_both_a_fixed_key_set_and_discovered(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "safeguard-dev")
    with pytest.raises(StaffTokenError, match="keep one"):
        verifier_for(settings)
