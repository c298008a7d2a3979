"""Loopback stand-ins for the HTTP services the notifications service calls.

Only HTTP neighbours are stood in for: intake's internal contacts API (built in parallel), a
partner agency's webhook receiver, and GOV.UK Notify. Kafka, PostgreSQL and SMTP are real, and
so is the check of the service token the internal APIs take (`require_permission`).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import jwt
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from safeguard.auth.service_deps import require_permission
from safeguard.auth.service_identity import Permission
from safeguard.errors import install_problem_handlers
from safeguard.settings import Settings
from services.notifications.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)


@dataclass
class Contacts:
    """Intake's `GET /internal/v1/referrals/{id}/contacts`, serving what a test puts in.

    It also stands in for the panel's `POST /internal/v1/consent-links`, keeping the tokens.
    """

    by_referral: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    calls: int = 0
    links: list[tuple[UUID, str]] = field(default_factory=list)

    def add(
        self,
        referral_id: UUID,
        *,
        referrer_email: str | None = None,
        agency: str | None = None,
        consent: dict[str, Any] | None = None,
        referrer_phone: str | None = None,
    ) -> None:
        """Give a referral its contacts."""
        self.by_referral[referral_id] = {
            "referral_id": str(referral_id),
            "referrer": {
                "email": referrer_email,
                "phone": referrer_phone,
                "agency_client_id": agency,
            },
            "consent_contact": consent,
        }

    def app(self, settings: Settings) -> FastAPI:
        """The stand-in app, trusting service tokens as services with `settings` do."""
        app = FastAPI()
        app.state.settings = settings
        install_problem_handlers(app)
        reads = Depends(require_permission(Permission.CONTACTS_READ))
        issues = Depends(require_permission(Permission.CONSENT_LINKS_ISSUE))

        @app.get("/internal/v1/referrals/{referral_id}/contacts", dependencies=[reads])
        async def contacts(referral_id: UUID) -> Response:
            self.calls += 1
            found = self.by_referral.get(referral_id)
            if found is None:
                return JSONResponse({"title": "Unknown referral"}, status_code=404)
            return JSONResponse(found)

        @app.post("/internal/v1/consent-links", dependencies=[issues])
        async def consent_link(request: Request) -> Response:
            referral_id = UUID((await request.json())["referral_id"])
            token = secrets.token_urlsafe(32)
            self.links.append((referral_id, token))
            body = {"token": token, "expires_at": "2026-12-15T12:00:00+00:00"}
            return JSONResponse(body, status_code=201)

        return app


@dataclass
class Received:
    """One webhook delivery as the partner saw it."""

    delivery: str
    body: dict[str, Any]
    signature_valid: bool


@dataclass
class PartnerSystem:
    """A partner agency's webhook receiver that fails its first `fail_first` requests."""

    secret: str
    fail_first: int = 0
    requests: int = 0
    received: list[Received] = field(default_factory=list)

    def app(self) -> FastAPI:
        """The stand-in app."""
        app = FastAPI()

        @app.post("/hooks/safeguard")
        async def hook(request: Request) -> Response:
            self.requests += 1
            if self.requests <= self.fail_first:
                return Response(status_code=503)
            body = await request.body()
            valid = verify(
                self.secret,
                request.headers[TIMESTAMP_HEADER],
                body,
                request.headers[SIGNATURE_HEADER],
            )
            self.received.append(
                Received(request.headers[DELIVERY_HEADER], json.loads(body), valid)
            )
            return Response(status_code=204 if valid else 401)

        return app


@dataclass
class Notify:
    """GOV.UK Notify's v2 send endpoints, checking the client's JWT like Notify does."""

    service_id: str
    secret: str
    answer_status: int = 201
    sent: list[dict[str, Any]] = field(default_factory=list)

    @property
    def api_key(self) -> str:
        """A key in Notify's format: `<name>-<service id>-<secret>`."""
        return f"test_key-{self.service_id}-{self.secret}"

    def app(self) -> FastAPI:
        """The stand-in app."""
        app = FastAPI()

        @app.post("/v2/notifications/{kind}")
        async def send(kind: str, request: Request) -> Response:
            token = request.headers["Authorization"].removeprefix("Bearer ")
            claims = jwt.decode(token, self.secret, algorithms=["HS256"])
            if claims["iss"] != self.service_id:
                return JSONResponse({"errors": [{"error": "AuthError"}]}, status_code=403)
            if self.answer_status >= 400:
                return JSONResponse({"errors": [{"error": "Boom"}]}, status_code=self.answer_status)
            self.sent.append({"kind": kind} | json.loads(await request.body()))
            return JSONResponse({"id": "00000000-0000-0000-0000-000000000001"}, status_code=201)

        return app
