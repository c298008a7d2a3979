"""The referral form and its linked referrals, fetched from intake's internal API per view.

Shared by the services that show a case. Nothing fetched is stored by the caller: the form
stays in intake, which erases it at redaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from safeguard.auth.service_tokens import ServiceTokenUnavailableError, TokenSource, bearer
from safeguard.settings import Settings


class IntakeLink(BaseModel):
    """An earlier referral of the same person, as intake linked it."""

    model_config = ConfigDict(extra="ignore")

    referral_id: UUID
    reference: str
    received_at: datetime


class StoredReferral(BaseModel):
    """Intake's answer to `GET /internal/v1/referrals/{id}`."""

    model_config = ConfigDict(extra="ignore")

    referral_id: UUID
    reference: str
    received_at: datetime
    area: str
    form: dict[str, Any]
    linked_referrals: list[IntakeLink]


@dataclass(frozen=True)
class Fetched:
    """The referral, or why it could not be had (`gap`)."""

    referral: StoredReferral | None
    gap: str | None = None


class ReferralClient:
    """Calls intake's internal API with the calling service's own token (`referral-forms.read`)."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, tokens: TokenSource) -> None:
        self._base = settings.intake_internal_base().rstrip("/")
        self._tokens = tokens
        self._http = http

    async def fetch(self, referral_id: UUID) -> Fetched:
        """The stored referral; a gap (never an exception) if intake cannot give it."""
        url = f"{self._base}/internal/v1/referrals/{referral_id}"
        try:
            token = await self._tokens.token()
            answer = await self._http.get(url, headers=bearer(token))
        except ServiceTokenUnavailableError:
            return Fetched(None, "intake unavailable (no service token from the identity provider)")
        except httpx.HTTPError as error:
            return Fetched(None, f"intake unavailable ({type(error).__name__})")
        if answer.status_code == 401:
            self._tokens.forget(token)
        if answer.status_code == 410:
            return Fetched(None, "redacted: retention ended and the form was erased")
        if answer.status_code != 200:
            return Fetched(None, f"intake answered {answer.status_code}")
        try:
            return Fetched(StoredReferral.model_validate_json(answer.content))
        except ValidationError:
            return Fetched(None, "intake's answer was malformed")
