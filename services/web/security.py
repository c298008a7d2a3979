"""Security headers on every response, with a fresh script nonce for each page."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(nonce: str, *, issuer: str) -> str:
    """Scripts only from here and with this page's nonce; nothing framed, nothing inline styled.

    Forms may post here and to the issuer: Chromium applies form-action to the redirect a
    sign-out form follows to the issuer's end-session page.
    """
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {_origin(issuer)}",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """ASGI middleware: CSP with a per-request nonce (in `scope["state"]`) and the usual set."""

    def __init__(self, app: ASGIApp, *, issuer: str, https: bool) -> None:
        self.app = app
        self.issuer = issuer
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        static = scope["path"].startswith(("/static/", "/assets/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in self._headers(nonce, static)]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, nonce: str, static: bool) -> list[tuple[str, str]]:
        headers = [
            ("content-security-policy", content_security_policy(nonce, issuer=self.issuer)),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cross-origin-opener-policy", "same-origin"),
            ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        ]
        if not static:
            # Case data must never sit in a shared or back-button cache.
            headers.append(("cache-control", "no-store"))
        if self.https:
            headers.append(("strict-transport-security", "max-age=31536000; includeSubDomains"))
        return headers
