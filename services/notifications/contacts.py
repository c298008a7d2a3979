"""Fetching a referral's contacts from the intake service at send time (never stored here)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from safeguard.auth.service_tokens import ServiceTokenUnavailableError, TokenSource, bearer
from safeguard.settings import Settings
from services.notifications.delivery import DeliveryError


class ReferrerContact(BaseModel):
    """How the referrer is reached: their agency's system, else their email, else a text to
    their phone (where the deployment sends texts)."""

    model_config = ConfigDict(extra="ignore")

    email: str | None = None
    phone: str | None = None
    agency_client_id: str | None = None


class ConsentContact(BaseModel):
    """Whom consent is asked of, and how to reach them."""

    model_config = ConfigDict(extra="ignore")

    route_hint: Literal["person", "guardian"]
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    postal_address: list[str] | None = None


class ReferralContacts(BaseModel):
    """Intake's answer to `GET /internal/v1/referrals/{id}/contacts`."""

    model_config = ConfigDict(extra="ignore")

    referral_id: UUID
    referrer: ReferrerContact
    consent_contact: ConsentContact | None = None


class ContactsClient:
    """Calls intake's internal API with the service's own token (`contacts.read`)."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, tokens: TokenSource) -> None:
        self._base = settings.intake_internal_base().rstrip("/")
        self._tokens = tokens
        self._http = http

    async def contacts(self, referral_id: UUID) -> ReferralContacts:
        """The referral's contacts; `DeliveryError` if they cannot be had."""
        url = f"{self._base}/internal/v1/referrals/{referral_id}/contacts"
        try:
            token = await self._tokens.token()
            answer = await self._http.get(url, headers=bearer(token))
        except ServiceTokenUnavailableError:
            raise DeliveryError("no service token from the identity provider") from None
        except httpx.HTTPError as error:
            raise DeliveryError(f"intake contacts unavailable ({type(error).__name__})") from None
        if answer.status_code == 401:
            self._tokens.forget(token)
        if answer.status_code in (404, 410):
            # Unknown or erased: there is nobody left to tell.
            raise DeliveryError(f"intake has no contacts ({answer.status_code})", permanent=True)
        if answer.status_code != 200:
            raise DeliveryError(f"intake contacts answered {answer.status_code}")
        try:
            return ReferralContacts.model_validate_json(answer.content)
        except ValidationError:
            raise DeliveryError("intake contacts were malformed", permanent=True) from None
