"""Response bodies of the intake API (the request body is the form in `form.py`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from safeguard.codes import ConsentRoute
from safeguard.personal import PERSONAL


class PartnerStatus(StrEnum):
    """All a referrer may know of a case: outcomes stay with the police and the panel."""

    RECEIVED = "received"
    BEING_ASSESSED = "being_assessed"
    CLOSED = "closed"


class ReferralAccepted(BaseModel):
    """The answer to a submitted referral."""

    reference: str = Field(examples=["PRV-2026-000123"])
    status_url: str = Field(examples=["/v1/referrals/PRV-2026-000123"])


class ReferralStatus(BaseModel):
    """What a referrer may see of its own referral."""

    reference: str = Field(examples=["PRV-2026-000123"])
    status: PartnerStatus
    queued: bool = Field(
        description="True while the referral is safely stored but its case has not started yet:"
        " for a moment after the `201` (the case is started just after it, not before it), and"
        " for as long as case management is unreachable (it starts by itself once it is back)."
    )
    received_at: datetime


class ReferrerContact(BaseModel):
    """How to reach whoever made the referral."""

    email: str | None
    phone: str | None = None
    agency_client_id: str | None


class ConsentContact(BaseModel):
    """Whom to ask for consent and how: the person if 18 or over, else a parent or guardian."""

    route_hint: ConsentRoute
    email: str | None
    phone: str | None
    # For a consent request made by letter: whom it is addressed to, and where (a parent or
    # guardian lives with the person, at the person's address). Lines end with the postcode.
    name: str | None = None
    postal_address: list[str] | None = None


class ReferralContacts(BaseModel):
    """Contact details the notifications service needs for one case (internal only)."""

    referral_id: UUID
    referrer: ReferrerContact
    consent_contact: ConsentContact


class InformationCreate(BaseModel):
    """New information about one of your referrals: text, and documents uploaded beforehand."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=20_000), PERSONAL]
    attachment_ids: list[UUID] = Field(
        default=[],
        max_length=20,
        description="Ids of files you uploaded to this referral"
        " (`POST /v1/referrals/{reference}/attachments`) that this information brings.",
    )


class InformationAccepted(BaseModel):
    """The answer to new information: stored, and the case's officers are told."""

    id: UUID
    reference: str = Field(examples=["PRV-2026-000123"])
    received_at: datetime
    attachment_ids: list[UUID]
