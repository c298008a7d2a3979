"""OpenID Connect sign-in: authorization code flow with PKCE against any standard issuer.

Authlib builds the protocol messages (PKCE challenge, authorization URL, response parsing);
httpx carries them; PyJWT checks the ID token against the issuer's published keys.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from pydantic import BaseModel

from services.web.sessions import LoginState

_ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256"]
# Metadata and keys are re-read this often, and at once when an unknown key id appears.
_METADATA_TTL = 3600.0


class IdentityProviderError(Exception):
    """The identity provider could not be reached, or answered with something unusable."""


class SignInRejectedError(Exception):
    """The sign-in response does not verify (state, nonce, signature, audience...)."""


@dataclass(frozen=True)
class ProviderMetadata:
    """The endpoints from the issuer's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


class TokenSet(BaseModel):
    """What the token endpoint answers, with the ID token's verified claims."""

    access_token: str
    expires_in: int = 300
    refresh_token: str | None = None
    id_token: str
    claims: dict[str, Any] = {}


def new_login(return_to: str) -> LoginState:
    """Fresh state, nonce and PKCE verifier for one sign-in attempt."""
    return LoginState(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        code_verifier=secrets.token_urlsafe(64),
        return_to=return_to,
    )


class OidcClient:
    """One confidential client of one issuer."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scopes: str,
    ) -> None:
        self._http = http
        self.issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self._scopes = scopes
        self._metadata: ProviderMetadata | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            answer = await self._http.get(url)
            answer.raise_for_status()
            body: dict[str, Any] = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise IdentityProviderError(f"{url}: {type(error).__name__}") from error
        return body

    async def metadata(self) -> ProviderMetadata:
        """The issuer's endpoints, read lazily so the site starts while the issuer is down."""
        if self._metadata is None or time.monotonic() - self._fetched_at > _METADATA_TTL:
            doc = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            if doc.get("issuer") != self.issuer:
                raise IdentityProviderError("the discovery document names another issuer")
            self._metadata = ProviderMetadata(
                issuer=doc["issuer"],
                authorization_endpoint=doc["authorization_endpoint"],
                token_endpoint=doc["token_endpoint"],
                jwks_uri=doc["jwks_uri"],
                end_session_endpoint=doc.get("end_session_endpoint"),
            )
            self._fetched_at = time.monotonic()
            self._keys = {}
        return self._metadata

    async def authorization_url(self, login: LoginState) -> str:
        """Where to send the browser to sign in."""
        meta = await self.metadata()
        url: str = prepare_grant_uri(
            meta.authorization_endpoint,
            self._client_id,
            "code",
            redirect_uri=self.redirect_uri,
            scope=self._scopes,
            state=login.state,
            nonce=login.nonce,
            code_challenge=create_s256_code_challenge(login.code_verifier),  # type: ignore[no-untyped-call]
            code_challenge_method="S256",
        )
        return url

    async def exchange(self, code: str, login: LoginState) -> TokenSet:
        """Trade the code (with the PKCE verifier) for tokens, and verify the ID token."""
        tokens = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": login.code_verifier,
            }
        )
        tokens.claims = await self._verify_id_token(tokens.id_token, nonce=login.nonce)
        return tokens

    async def refresh(self, refresh_token: str, id_token: str) -> TokenSet:
        """New tokens from the refresh token (the issuer may keep the old ID token)."""
        tokens = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, id_token=id_token
        )
        tokens.claims = await self._verify_id_token(tokens.id_token, nonce=None)
        return tokens

    async def _token_request(self, form: dict[str, str], id_token: str = "") -> TokenSet:
        meta = await self.metadata()
        try:
            answer = await self._http.post(
                meta.token_endpoint,
                data=form,
                auth=httpx.BasicAuth(self._client_id, self._client_secret),
            )
        except httpx.HTTPError as error:
            raise IdentityProviderError(f"token endpoint: {type(error).__name__}") from error
        if answer.status_code == 400 or answer.status_code == 401:
            raise SignInRejectedError(f"the issuer refused: {answer.json().get('error')}")
        if answer.status_code != 200:
            raise IdentityProviderError(f"token endpoint answered {answer.status_code}")
        body = answer.json()
        body.setdefault("id_token", id_token)
        return TokenSet.model_validate(body)

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys:
            meta = await self.metadata()
            jwks = await self._get_json(meta.jwks_uri)
            self._keys = {
                key.key_id: key
                for key in jwt.PyJWKSet.from_dict(jwks).keys
                if key.key_id and key.public_key_use in (None, "sig")
            }
        if kid not in self._keys:
            raise SignInRejectedError("the ID token is signed by an unknown key")
        return self._keys[kid]

    async def _verify_id_token(self, id_token: str, *, nonce: str | None) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = await self._key(str(kid))
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=_ID_TOKEN_ALGORITHMS,
                audience=self._client_id,
                issuer=self.issuer,
                leeway=30,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise SignInRejectedError(f"ID token rejected: {type(error).__name__}") from error
        if nonce is not None and claims.get("nonce") != nonce:
            raise SignInRejectedError("the ID token does not answer this sign-in")
        return claims

    async def end_session_url(self, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """The issuer's sign-out page for this session, if it has one (RP-initiated logout)."""
        meta = await self.metadata()
        if meta.end_session_endpoint is None:
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "client_id": self._client_id,
            }
        )
        return f"{meta.end_session_endpoint}?{query}"
