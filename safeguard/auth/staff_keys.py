"""Where the public keys of a trusted staff token issuer come from.

`StaticKeys` holds a configured key set (`SAFEGUARD_STAFF_JWKS`, or the development key's).
`DiscoveredKeys` asks an OpenID Connect issuer: its discovery document names `jwks_uri`, and
PyJWT's `PyJWKClient` fetches, caches and re-fetches that key set.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any, Protocol

import httpx
import jwt
from jwt import PyJWK, PyJWKClient, PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError

from safeguard.auth.staff import IssuerUnavailableError, StaffTokenError

logger = logging.getLogger(__name__)

_UNKNOWN_KEY = "token signed by an unknown key"
_UNAVAILABLE = "identity provider unavailable"


class KeySource(Protocol):
    """The signing keys of one issuer, by key id."""

    async def key(self, kid: str) -> PyJWK:
        """The key `kid` names; `StaffTokenError` if the issuer has none such."""
        ...


class StaticKeys:
    """A fixed key set: configured, or the local development key's."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}

    async def key(self, kid: str) -> PyJWK:
        """The key `kid` names."""
        key = self._keys.get(kid)
        if key is None:
            raise StaffTokenError(_UNKNOWN_KEY)
        return key


class DiscoveredKeys:
    """An OpenID Connect issuer's keys, found lazily so services start while it is down.

    An unknown key id re-fetches the key set at most once per `refetch_seconds` (PyJWT's
    cooldown), so a flood of made-up ids cannot hammer the issuer; a failed fetch is not
    retried for as long either, and callers are told when to try again.
    """

    def __init__(
        self, issuer: str, *, lifetime_seconds: float, refetch_seconds: float, timeout: float
    ) -> None:
        self.issuer = issuer
        self._lifetime = lifetime_seconds
        self._refetch = refetch_seconds
        self._timeout = timeout
        self._client: PyJWKClient | None = None
        # One lookup at a time: concurrent requests wait for one fetch instead of each
        # starting their own.
        self._lock = asyncio.Lock()
        self._retry_at = 0.0

    async def key(self, kid: str) -> PyJWK:
        """The key `kid` names, fetching the issuer's key set when it is not cached."""
        cached = self._cached(kid)
        if cached is not None:
            return cached
        async with self._lock:
            self._wait_out_failure()
            try:
                client = self._client or await self._discover()
                return await asyncio.to_thread(_signing_key, client, kid)
            except IssuerUnavailableError as error:
                logger.warning("staff token issuer %s: %s", self.issuer, error.__cause__)
                self._retry_at = time.monotonic() + self._refetch
                raise

    def _cached(self, kid: str) -> PyJWK | None:
        # Known keys of an unexpired set need no thread nor lock.
        cache = self._client.jwk_set_cache if self._client is not None else None
        keys = cache.get() if cache is not None else None
        signing = (key for key in keys.keys if key.public_key_use in ("sig", None)) if keys else ()
        return next((key for key in signing if key.key_id == kid), None)

    def _wait_out_failure(self) -> None:
        remaining = self._retry_at - time.monotonic()
        if remaining > 0:
            raise _unavailable(remaining)

    async def _discover(self) -> PyJWKClient:
        url = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as http:
                response = (await http.get(url)).raise_for_status()
            jwks_uri = _jwks_uri(response.json(), self.issuer)
        except (httpx.HTTPError, ValueError) as error:
            raise _unavailable(self._refetch) from error
        self._client = PyJWKClient(
            jwks_uri,
            lifespan=self._lifetime,
            cooldown_duration=self._refetch,
            timeout=self._timeout,
        )
        return self._client


def _jwks_uri(document: object, issuer: str) -> str:
    # OpenID Connect Discovery 1.0 §4.3: the document must name exactly the issuer asked.
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ValueError("discovery document is for another issuer")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
        raise ValueError("discovery document names no http(s) jwks_uri")
    return jwks_uri


def _signing_key(client: PyJWKClient, kid: str) -> PyJWK:
    """Blocking (urllib): run in a thread."""
    try:
        # The cached set, or a fetch: any failure here is the issuer's, not the token's.
        client.get_signing_keys()
    except (PyJWKClientError, PyJWKSetError, ValueError) as error:
        raise _unavailable(client.cooldown_duration) from error
    try:
        # Re-fetches once for an unknown kid unless within the cooldown.
        return client.get_signing_key(kid)
    except (PyJWKClientConnectionError, PyJWKSetError, ValueError) as error:
        raise _unavailable(client.cooldown_duration) from error
    except PyJWKClientError as error:
        raise StaffTokenError(_UNKNOWN_KEY) from error


def _unavailable(retry_seconds: float) -> IssuerUnavailableError:
    return IssuerUnavailableError(_UNAVAILABLE, retry_after=max(1, math.ceil(retry_seconds)))
