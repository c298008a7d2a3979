"""A small OpenID Connect issuer for tests: a discovery document and a JWKS over real HTTP,
served on loopback inside the test process, and tokens signed with keys made per test."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI

from tests.helpers import assert_eventually, free_port

KEYCLOAK_REALM = "/realms/safeguard"


@dataclass(frozen=True)
class SigningKey:
    """A private key the test issuer signs with, and the algorithm it signs with."""

    kid: str
    algorithm: str
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    def public_jwk(self) -> dict[str, Any]:
        """The key as the issuer publishes it."""
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            text = jwt.algorithms.RSAAlgorithm.to_jwk(public)
        else:
            text = jwt.algorithms.ECAlgorithm.to_jwk(public)
        jwk: dict[str, Any] = json.loads(text)
        return jwk | {"kid": self.kid, "use": "sig", "alg": self.algorithm}


def rsa_key(algorithm: str = "RS256") -> SigningKey:
    """A fresh RSA key (RS256 or PS256)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(f"rsa-{uuid.uuid4().hex[:8]}", algorithm, private)


def ec_key() -> SigningKey:
    """A fresh P-256 key (ES256)."""
    return SigningKey(
        f"ec-{uuid.uuid4().hex[:8]}", "ES256", ec.generate_private_key(ec.SECP256R1())
    )


@dataclass
class IdentityProvider:
    """What the served issuer publishes, and how often it was asked."""

    issuer: str
    keys: list[SigningKey]
    discovery_fetches: int = 0
    jwks_fetches: int = 0

    def token(
        self, key: SigningKey | None = None, claims: dict[str, Any] | None = None, **more: Any
    ) -> str:
        """A Keycloak-shaped access token; claims given override or (as None) remove defaults."""
        signer = key or self.keys[0]
        claims = (claims or {}) | more
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": ["safeguard", "account"],
            "sub": "officer-17",
            "iat": now,
            "exp": now + 300,
            "typ": "Bearer",
            "azp": "safeguard-web",
            "roles": ["prevent_officer", "default-roles-safeguard", "offline_access"],
            "areas": ["E08000003"],
            "agency": "police",
            "provider_id": None,
        }
        body = {name: value for name, value in (body | claims).items() if value is not None}
        return jwt.encode(
            body, signer.private, algorithm=signer.algorithm, headers={"kid": signer.kid}
        )

    def app(self, path: str) -> FastAPI:
        """The issuer's two documents, at Keycloak's paths under `path`."""
        app = FastAPI()
        jwks_path = f"{path}/protocol/openid-connect/certs"

        @app.get(f"{path}/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            self.discovery_fetches += 1
            return {
                "issuer": self.issuer,
                "jwks_uri": f"{self.issuer}/protocol/openid-connect/certs",
            }

        @app.get(jwks_path)
        async def jwks() -> dict[str, Any]:
            self.jwks_fetches += 1
            return {"keys": [key.public_jwk() for key in self.keys]}

        return app


@asynccontextmanager
async def identity_provider(
    *keys: SigningKey, port: int | None = None, path: str = KEYCLOAK_REALM
) -> AsyncIterator[IdentityProvider]:
    """Serve an issuer at http://127.0.0.1:<port><path> until the block ends."""
    port = port or free_port()
    provider = IdentityProvider(f"http://127.0.0.1:{port}{path}", list(keys) or [rsa_key()])
    config = uvicorn.Config(provider.app(path), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # surface a failed start-up
        return server.started

    await assert_eventually(started)
    try:
        yield provider
    finally:
        server.should_exit = True
        await task
