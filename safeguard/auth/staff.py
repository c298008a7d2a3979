"""Staff identity: OIDC-style JWTs for officers, panel staff, providers, auditors, operators.

Services only verify (against a configured JSON Web Key Set); tokens come from the identity
provider, or from `safeguard tokens mint` with a local development signing key.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel, ConfigDict, ValidationError

from safeguard.codes import Role
from safeguard.settings import Settings

ALGORITHM = "ES256"
_DEV_KEY_FILE = "keys/staff-signing-key.json"


class StaffPrincipal(BaseModel):
    """Who is calling, in which role, for which areas, agency, panels or provider."""

    model_config = ConfigDict(frozen=True)

    subject: str
    role: Role
    areas: tuple[str, ...] = ()
    agency: str | None = None
    provider_id: str | None = None


class StaffTokenError(Exception):
    """A bearer token that cannot be trusted; the message says why, without the token."""


class StaffVerifier:
    """Checks signature, issuer, audience and expiry, then reads the claims."""

    def __init__(self, jwks: dict[str, Any], *, issuer: str, audience: str) -> None:
        self._keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> StaffPrincipal:
        """The principal a token speaks for."""
        try:
            key_id = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(key_id) if isinstance(key_id, str) else None
            if key is None:
                raise StaffTokenError("token signed by an unknown key")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise StaffTokenError("token expired") from error
        except jwt.PyJWTError as error:
            raise StaffTokenError(f"token rejected: {type(error).__name__}") from error
        return _principal(claims)


def _principal(claims: dict[str, Any]) -> StaffPrincipal:
    try:
        return StaffPrincipal(
            subject=claims["sub"],
            role=claims.get("role"),
            areas=tuple(claims.get("areas", ())),
            agency=claims.get("agency"),
            provider_id=claims.get("provider_id"),
        )
    except ValidationError as error:
        raise StaffTokenError("token claims are not a known role and identity") from error


def development_signing_key(data_dir: Path) -> dict[str, Any]:
    """The local signing key (a private JWK), created on first use, readable by owner only."""
    path = data_dir / _DEV_KEY_FILE
    if path.exists():
        key: dict[str, Any] = json.loads(path.read_text())
        return key
    private = ec.generate_private_key(ec.SECP256R1())
    jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private))
    jwk |= {"kid": f"dev-{uuid.uuid4().hex[:8]}", "alg": ALGORITHM, "use": "sig"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(jwk))
    return jwk


def public_key_set(private_jwk: dict[str, Any]) -> dict[str, Any]:
    """The JWKS that verifies tokens signed with `private_jwk`."""
    public = {name: value for name, value in private_jwk.items() if name != "d"}
    return {"keys": [public]}


def mint(
    private_jwk: dict[str, Any],
    *,
    principal: StaffPrincipal,
    issuer: str,
    audience: str,
    ttl_seconds: int,
) -> str:
    """Sign a token for `principal` (development and tests; production uses the IdP)."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": principal.subject,
        "iat": now,
        "exp": now + ttl_seconds,
        "role": principal.role.value,
        "areas": list(principal.areas),
        "agency": principal.agency,
        "provider_id": principal.provider_id,
    }
    key = jwt.PyJWK.from_dict(private_jwk)
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": private_jwk["kid"]})


def verifier_for(settings: Settings) -> StaffVerifier:
    """The configured key set, or in development the local signing key's."""
    if settings.staff_jwks is not None:
        jwks: dict[str, Any] = json.loads(settings.staff_jwks.get_secret_value())
    elif settings.environment == "production":
        raise StaffTokenError("SAFEGUARD_STAFF_JWKS must be set in production")
    else:
        jwks = public_key_set(development_signing_key(settings.data_dir))
    return StaffVerifier(
        jwks, issuer=settings.staff_token_issuer, audience=settings.staff_token_audience
    )
