"""Consent links: asked of the panel's internal API when a consent request is sent.

Each send asks for a new link (the panel invalidates older unused ones), so the token exists
only in the message on its way out: it is never stored here, logged or put on a span.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from safeguard.auth.service_tokens import ServiceTokenUnavailableError, TokenSource, bearer
from safeguard.settings import Settings
from services.notifications.delivery import DeliveryError

# The messages that carry a link for the person or guardian to answer with.
LINKED_TEMPLATES = frozenset(
    {"consent_request", "consent_reminder", "consent_request_letter", "consent_reminder_letter"}
)
_UK = ZoneInfo("Europe/London")


class _Issued(BaseModel):
    """The panel's answer to `POST /internal/v1/consent-links`."""

    model_config = ConfigDict(extra="ignore")

    token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class ConsentLink:
    """The link's address on the public consent pages, and when answering through it ends."""

    url: str
    expires_at: dt.datetime

    def params(self) -> dict[str, str]:
        """Template parameters: `link` and `link_expires` (a date)."""
        local = self.expires_at.astimezone(_UK)
        return {"link": self.url, "link_expires": f"{local:%d %B %Y}".lstrip("0")}


class ConsentLinkClient:
    """Calls the panel's internal API with the service's own token (`consent-links.issue`)."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, tokens: TokenSource) -> None:
        self._base = settings.panel_internal_base().rstrip("/")
        self._public = settings.web_public_base()
        self._tokens = tokens
        self._http = http

    async def issue(self, referral_id: UUID) -> ConsentLink:
        """A new link for the case; `DeliveryError` (retried) if the panel cannot give one."""
        url = f"{self._base}/internal/v1/consent-links"
        try:
            token = await self._tokens.token()
            answer = await self._http.post(
                url, json={"referral_id": str(referral_id)}, headers=bearer(token)
            )
        except ServiceTokenUnavailableError:
            raise DeliveryError("no service token from the identity provider") from None
        except httpx.HTTPError as error:
            raise DeliveryError(f"consent links unavailable ({type(error).__name__})") from None
        if answer.status_code == 401:
            self._tokens.forget(token)
        if answer.status_code != 201:
            raise DeliveryError(f"consent links answered {answer.status_code}")
        try:
            issued = _Issued.model_validate_json(answer.content)
        except ValidationError:
            raise DeliveryError("consent link answer was malformed") from None
        return ConsentLink(f"{self._public}/consent/{issued.token}", issued.expires_at)
