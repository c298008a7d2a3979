"""A calling service's own bearer tokens for other services' internal APIs.

`ClientCredentials` asks the identity provider (OAuth2 client credentials, RFC 6749 §4.4)
and keeps the token until shortly before it expires. Outside production,
a service without a client secret signs `DevelopmentTokens` with the local development key
(the one `safeguard tokens mint` signs staff tokens with), so `make run` needs no set-up;
services trust that key for service tokens outside production only.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
from authlib.oauth2.rfc6749 import OAuth2Token
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from safeguard.auth.service_identity import GRANTS, ServiceClient
from safeguard.auth.staff import ALGORITHM, development_signing_key
from safeguard.auth.staff_verifier import oidc_issuer
from safeguard.settings import ServiceAuthSettings, Settings

# The issuer of development service tokens: not the staff one, whose trust may be a
# configured key set (`staff_jwks`) rather than the development key.
DEV_SERVICE_ISSUER = "safeguard-dev-services"
DEV_TOKEN_SECONDS = 300


class ServiceAuthError(Exception):
    """A service has no usable credentials configured (production without a client secret)."""


class ServiceTokenUnavailableError(Exception):
    """No token could be had from the identity provider just now; the call may be retried."""


class TokenSource(Protocol):
    """Bearer tokens of one client, renewed before they expire."""

    client_id: str

    async def token(self) -> str:
        """A token valid for a while yet; `ServiceTokenUnavailableError` if none can be had."""
        ...

    def forget(self, token: str) -> None:
        """The token was refused: get a new one next time (keys rotated, client re-granted)."""
        ...


class DevelopmentTokens:
    """Tokens signed with the local development key, carrying the client's development grants."""

    def __init__(self, data_dir: Path, client: ServiceClient, auth: ServiceAuthSettings) -> None:
        self.client_id = client.value
        self._client = client
        self._data_dir = data_dir
        self._auth = auth
        self._token: str | None = None
        self._renew_at = 0.0

    async def token(self) -> str:
        """The cached token, or a new one once it nears its expiry."""
        if self._token is None or time.time() >= self._renew_at:
            now = int(time.time())
            self._token = mint_service_token(
                development_signing_key(self._data_dir),
                client=self._client,
                audience=self._auth.audience,
                now=now,
            )
            self._renew_at = now + DEV_TOKEN_SECONDS - self._auth.renew_seconds
        return self._token

    def forget(self, token: str) -> None:
        """Mint anew next time."""
        if token == self._token:
            self._token = None


def mint_service_token(
    private_jwk: dict[str, Any],
    *,
    client: ServiceClient,
    audience: str,
    now: int | None = None,
    ttl_seconds: int = DEV_TOKEN_SECONDS,
) -> str:
    """A development token shaped as Keycloak's client-credentials tokens (development, tests)."""
    issued = now if now is not None else int(time.time())
    claims = {
        "iss": DEV_SERVICE_ISSUER,
        "aud": audience,
        "sub": f"service-account-{client.value}",
        "azp": client.value,
        "client_id": client.value,
        "roles": sorted(GRANTS[client]),
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    key = jwt.PyJWK.from_dict(private_jwk)
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": private_jwk["kid"]})


class ClientCredentials:
    """Tokens from the identity provider's token endpoint, one request per token lifetime.

    Authlib builds the token request (client_secret_post, which Keycloak and Entra ID both
    take) and reads the answer's expiry; httpx carries them.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str | None,
        client_id: str,
        auth: ServiceAuthSettings,
    ) -> None:
        if auth.client_secret is None:
            raise ServiceAuthError("client credentials need a client secret")
        self.client_id = client_id
        self._http = http
        self._issuer = issuer
        self._auth = auth
        self._secret = auth.client_secret
        self._token_url = auth.token_url
        self._renew = math.ceil(auth.renew_seconds)
        self._token: OAuth2Token | None = None
        # One request at a time: callers arriving while a token is fetched wait for it.
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """The current token, or a new one once it is within `renew_seconds` of expiring."""
        async with self._lock:
            current = self._token
            # No `expires_in` means no known expiry (`is_expired` is None): used once only.
            if current is None or current.is_expired(leeway=self._renew) is not False:
                current = self._token = await self._fetch()
            return str(current["access_token"])

    def forget(self, token: str) -> None:
        """Fetch anew next time."""
        if self._token is not None and self._token.get("access_token") == token:
            self._token = None

    async def _fetch(self) -> OAuth2Token:
        try:
            url = self._token_url or await self._discover()
            body = prepare_token_request(
                "client_credentials",
                scope=self._auth.scope,
                client_id=self.client_id,
                client_secret=self._secret.get_secret_value(),
            )
            answer = await self._http.post(url, content=body, headers=_FORM)
            return _issued(answer)
        except (httpx.HTTPError, ValueError) as error:
            # Neither the secret nor the provider's answer is logged: the type says enough.
            raise ServiceTokenUnavailableError(
                f"no token for {self.client_id}: {type(error).__name__}"
            ) from error

    async def _discover(self) -> str:
        if self._issuer is None:
            raise ValueError("no issuer to discover the token endpoint of")
        url = f"{self._issuer.rstrip('/')}/.well-known/openid-configuration"
        document = (await self._http.get(url)).raise_for_status().json()
        # OpenID Connect Discovery 1.0 §4.3: the document must be the issuer's own.
        if not isinstance(document, dict) or document.get("issuer") != self._issuer:
            raise ValueError("discovery document is for another issuer")
        endpoint = document.get("token_endpoint")
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            raise ValueError("discovery document names no http(s) token_endpoint")
        self._token_url = endpoint
        return endpoint


_FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


class TokenRefusedError(ValueError):
    """The token endpoint answered with an error (RFC 6749 §5.2) or no bearer token."""


def _issued(answer: httpx.Response) -> OAuth2Token:
    if answer.status_code != 200:
        raise TokenRefusedError(f"token endpoint answered {answer.status_code}")
    token = answer.json()
    if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
        raise TokenRefusedError("token endpoint answered without an access token")
    if str(token.get("token_type", "")).lower() != "bearer":
        raise TokenRefusedError("token endpoint answered with a token that is not a bearer one")
    return OAuth2Token(token)


@asynccontextmanager
async def service_tokens(settings: Settings, client: ServiceClient) -> AsyncIterator[TokenSource]:
    """The calling service's token source for its process's lifetime.

    A configured client secret: client credentials at the issuer (`client_id` defaults to the
    development client's name). None: development tokens, refused in production.
    """
    auth = settings.service_auth
    if auth.client_secret is not None:
        async with httpx.AsyncClient(timeout=auth.timeout_seconds) as http:
            yield ClientCredentials(
                http,
                issuer=oidc_issuer(settings),
                client_id=auth.client_id or client.value,
                auth=auth,
            )
    elif settings.environment == "production":
        raise ServiceAuthError(
            "set SAFEGUARD_SERVICE_AUTH__CLIENT_ID and SAFEGUARD_SERVICE_AUTH__CLIENT_SECRET: "
            f"{client.value}'s own client credentials at the identity provider"
        )
    else:
        yield DevelopmentTokens(settings.data_dir, client, auth)


def bearer(token: str) -> dict[str, str]:
    """The request header carrying `token`."""
    return {"Authorization": f"Bearer {token}"}
