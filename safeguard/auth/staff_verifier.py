"""Verifying staff bearer tokens from each trusted issuer.

The token's unverified `iss` picks the trust (a key source) to verify it against; only then
are signature, issuer, audience and times checked, and the claims mapped to a principal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jwt
from jwt import PyJWK

from safeguard.auth.claims import StaffClaimNames, principal_from
from safeguard.auth.staff import (
    StaffPrincipal,
    StaffTokenError,
    development_signing_key,
    public_key_set,
)
from safeguard.auth.staff_keys import DiscoveredKeys, KeySource, StaticKeys
from safeguard.auth.verified_tokens import Verified, VerifiedTokens
from safeguard.settings import Settings

# Asymmetric signatures only (never `none` or HS*), each with the key type it needs.
_ALGORITHMS = {"RSA": ["RS256", "PS256"], "EC": ["ES256"]}
# Clock skew between the issuer and us.
LEEWAY_SECONDS = 30
KEYCLOAK_REALM = "safeguard"


class StaffVerifier:
    """Checks a token against the trust of the issuer it names, then reads its claims."""

    def __init__(
        self,
        trusts: Mapping[str, KeySource],
        *,
        audience: str,
        claims: StaffClaimNames | None = None,
        leeway_seconds: float = LEEWAY_SECONDS,
    ) -> None:
        self.trusts = dict(trusts)
        self._audience = audience
        self._claims = claims or StaffClaimNames()
        self._leeway = leeway_seconds
        self.remembered = VerifiedTokens()

    async def verify(self, token: str) -> StaffPrincipal:
        """The principal a token speaks for; `StaffTokenError` (or its subclass
        `IssuerUnavailableError`) says why not."""
        return principal_from(await self.verified_claims(token), self._claims)

    async def verified_claims(self, token: str) -> dict[str, Any]:
        """A token's claims once signature, issuer, audience and times are checked; service
        tokens are read from here (`safeguard.auth.service_identity`)."""
        try:
            remembered = self.remembered.get(token)
            if remembered is not None:
                # Its key is looked up as for any token: trusted while the issuer offers it.
                key = await self.trusts[remembered.issuer].key(remembered.kid)
                if key is remembered.key:
                    return dict(remembered.claims)
            issuer, kid = _unverified(token)
            source = self.trusts.get(issuer)
            if source is None:
                raise StaffTokenError("token from an untrusted issuer")
            key = await source.key(kid)
            claims = self._decode(token, key, issuer)
        except jwt.ExpiredSignatureError as error:
            raise StaffTokenError("token expired") from error
        except jwt.PyJWTError as error:
            raise StaffTokenError(f"token rejected: {type(error).__name__}") from error
        self.remembered.put(token, Verified(claims, issuer, kid, key))
        return claims

    def _decode(self, token: str, key: PyJWK, issuer: str) -> dict[str, Any]:
        algorithms = _ALGORITHMS.get(key.key_type or "", [])
        if key.algorithm_name not in algorithms:
            raise StaffTokenError("token signed with a key of an unsupported type")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=algorithms,
            issuer=issuer,
            audience=self._audience,
            leeway=self._leeway,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
        return claims


def _unverified(token: str) -> tuple[str, str]:
    """The issuer and key id a token claims, before anything about it is trusted."""
    kid = jwt.get_unverified_header(token).get("kid")
    issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    if not isinstance(issuer, str):
        raise StaffTokenError("token from an untrusted issuer")
    if not isinstance(kid, str):
        raise StaffTokenError("token names no signing key (kid)")
    return issuer, kid


def verifier_for(settings: Settings) -> StaffVerifier:
    """Every issuer the settings trust; fetches nothing yet, so services start while the
    identity provider is down."""
    trusts: dict[str, KeySource] = {}
    static = _static_keys(settings)
    if static is not None:
        trusts[settings.staff_token_issuer] = static
    issuer = oidc_issuer(settings)
    if issuer is not None:
        if issuer in trusts:
            raise StaffTokenError(
                f"issuer {issuer} is both SAFEGUARD_STAFF_TOKEN_ISSUER and "
                "SAFEGUARD_STAFF_OIDC_ISSUER: keep one (discovery, or a fixed SAFEGUARD_STAFF_JWKS)"
            )
        trusts[issuer] = DiscoveredKeys(
            issuer,
            lifetime_seconds=settings.staff_oidc_jwks_lifetime_seconds,
            refetch_seconds=settings.staff_oidc_refetch_seconds,
            timeout=settings.staff_oidc_timeout_seconds,
        )
    if not trusts:
        raise StaffTokenError(
            "SAFEGUARD_STAFF_OIDC_ISSUER or SAFEGUARD_STAFF_JWKS must be set in production"
        )
    return StaffVerifier(
        trusts, audience=settings.staff_token_audience, claims=settings.staff_claims
    )


def oidc_issuer(settings: Settings) -> str | None:
    """The configured issuer, or outside production the embedded Keycloak's realm."""
    if settings.staff_oidc_issuer is not None:
        return settings.staff_oidc_issuer
    if settings.environment == "production":
        return None
    return f"http://127.0.0.1:{settings.stack.keycloak}/realms/{KEYCLOAK_REALM}"


def _static_keys(settings: Settings) -> StaticKeys | None:
    # The development key is never trusted in production, whatever the issuer settings say.
    if settings.staff_jwks is not None:
        jwks: dict[str, Any] = json.loads(settings.staff_jwks.get_secret_value())
        return StaticKeys(jwks)
    if settings.environment == "production":
        return None
    return StaticKeys(public_key_set(development_signing_key(settings.data_dir)))
