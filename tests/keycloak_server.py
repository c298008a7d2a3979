"""The embedded stack's Keycloak for tests, and a sign-in through its own login form."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from safeguard.settings import ServicePorts, Settings, StackPorts
from safeguard.stack import Stack
from safeguard.stack.keycloak_realm import DEV_PASSWORD, WEB_CLIENT_ID
from tests.helpers import free_port

# A first start builds the distribution once per user, creates the schema and imports the realm:
# minutes on a busy 2-core machine.
START_TIMEOUT = 540.0
_FORM_ACTION = re.compile(r'<form[^>]*\bid="kc-form-login"[^>]*\baction="([^"]+)"')


@dataclass(frozen=True)
class KeycloakServer:
    """A running Keycloak with the safeguard realm, its web client registered for `web_port`."""

    stack: Stack
    issuer: str
    web_port: int
    client_id: str
    client_secret: str
    password: str

    @property
    def web_base(self) -> str:
        """The web front end's base URL the realm's client expects."""
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def redirect_uri(self) -> str:
        """The one redirect URI the realm allows for the web client."""
        return f"{self.web_base}/auth/callback"


@contextlib.asynccontextmanager
async def running_keycloak(data_dir: Path) -> AsyncIterator[KeycloakServer]:
    """Keycloak alone on free ports in `data_dir`, stopped on exit."""
    settings = Settings(
        environment="test",
        data_dir=data_dir,
        stack=StackPorts(keycloak=free_port(), keycloak_management=free_port()),
        services=ServicePorts(web=free_port()),
    )
    stack = Stack(
        data_dir=data_dir, ports=settings.stack, components=("keycloak",), settings=settings
    )
    try:
        await stack.up(timeout=START_TIMEOUT)
        yield KeycloakServer(
            stack=stack,
            issuer=stack.keycloak_issuer(),
            web_port=settings.services.web,
            client_id=WEB_CLIENT_ID,
            client_secret=settings.web.oidc_client_secret.get_secret_value(),
            password=DEV_PASSWORD,
        )
    finally:
        await stack.down()


@dataclass(frozen=True)
class RealmClient:
    """Another client of the realm than the web front end's."""

    client_id: str
    client_secret: str
    redirect_uri: str


async def sign_in(
    server: KeycloakServer, username: str, *, client: RealmClient | None = None
) -> dict[str, Any]:
    """Authorization code + PKCE through Keycloak's login form, as a browser; the token response.

    The web front end's client unless `client` names another.
    """
    client = client or RealmClient(server.client_id, server.client_secret, server.redirect_uri)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    async with httpx.AsyncClient(timeout=30) as http:
        discovery = (await http.get(f"{server.issuer}/.well-known/openid-configuration")).json()
        form = await http.get(
            discovery["authorization_endpoint"],
            params={
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": client.redirect_uri,
                "scope": "openid",
                "state": secrets.token_urlsafe(16),
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            },
        )
        form.raise_for_status()
        redirect = await http.post(
            _form_action(form.text),
            data={"username": username, "password": server.password},
            headers={"Cookie": _cookie_header(http)},
        )
        code = _code_from(redirect, client.redirect_uri)
        tokens = await http.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": client.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(client.client_id, client.client_secret),
        )
        tokens.raise_for_status()
        result: dict[str, Any] = tokens.json()
        return result


def _form_action(page: str) -> str:
    match = _FORM_ACTION.search(page)
    if match is None:
        raise AssertionError("Keycloak's answer has no login form")
    return html.unescape(match.group(1))


def _cookie_header(http: httpx.AsyncClient) -> str:
    """Every cookie Keycloak set, Secure ones included.

    Keycloak marks its login cookies Secure even over http; browsers still send them to
    http://127.0.0.1 (a secure context), but Python's cookie jar withholds them.
    """
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in http.cookies.jar)


def _code_from(redirect: httpx.Response, redirect_uri: str) -> str:
    location: str = redirect.headers.get("location", "")
    if redirect.status_code != 302 or not location.startswith(redirect_uri):
        raise AssertionError(f"sign-in did not redirect to the client: {redirect.status_code}")
    code: str = parse_qs(urlsplit(location).query)["code"][0]
    return code
