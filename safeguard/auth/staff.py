"""Staff identity: who a verified bearer token speaks for, and the local development key.

Tokens come from the organisation's OpenID Connect issuer, or from `safeguard tokens mint`
with the local development signing key; `safeguard.auth.staff_verifier` checks both, and
`safeguard.auth.claims` maps their claims to a `StaffPrincipal`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel, ConfigDict

from safeguard.codes import Role

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


class IssuerUnavailableError(StaffTokenError):
    """The token's issuer could not be asked for its keys; the caller may retry later."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def development_signing_key(data_dir: Path) -> dict[str, Any]:
    """The local signing key (a private JWK), created on first use, readable by owner only."""
    path = data_dir / _DEV_KEY_FILE
    if not path.exists():
        _create_signing_key(path)
    key: dict[str, Any] = json.loads(path.read_text())
    return key


def _create_signing_key(path: Path) -> None:
    # Every service of `safeguard run` may start on a fresh data dir at once, and one verifies
    # what another signs: the key is written aside and linked into place, so exactly one wins
    # and all read the same complete key.
    private = ec.generate_private_key(ec.SECP256R1())
    jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private))
    jwk |= {"kid": f"dev-{uuid.uuid4().hex[:8]}", "alg": ALGORITHM, "use": "sig"}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, aside = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(handle, "w") as file:
            file.write(json.dumps(jwk))
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    finally:
        os.unlink(aside)


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
    # The default claim names of `StaffClaimNames`, shaped as an identity provider sends them
    # (`roles` a list), so minted and issued tokens go through the one mapping.
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": principal.subject,
        "iat": now,
        "exp": now + ttl_seconds,
        "roles": [principal.role.value],
        "areas": list(principal.areas),
        "agency": principal.agency,
        "provider_id": principal.provider_id,
    }
    key = jwt.PyJWK.from_dict(private_jwk)
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": private_jwk["kid"]})
