"""Request and response bodies of the notifications API, and the rows the dispatcher works on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr, Field, UrlConstraints

Status = Literal["pending", "sending", "retrying", "delivered", "failed"]
Channel = Literal["email", "webhook"]
# The roles notifications are routed to through the directory (routing.py): an entry under any
# other name would never be used, so it is refused rather than silently ignored.
DirectoryRole = Literal[
    "prevent_officers",
    "prevent_supervisors",
    "channel_panel",
    "intervention_provider",
    "partner_agency",
]
Reference = Annotated[str, Field(pattern=r"^PRV-\d{4}-\d{6}$", examples=["PRV-2026-000123"])]


class NotificationRead(BaseModel):
    """One entry of the delivery log (recipients by role and scope, never by address)."""

    id: UUID
    event_id: UUID
    referral_id: UUID
    reference: str | None = Field(
        description="The case's reference; null until this service has seen the case's events."
    )
    recipient_role: str
    recipient: str
    routed_to: str | None = Field(
        description="The recipient reached in place of `recipient` when the directory has no"
        " entry for it: an escalation to an area's supervisors (`prevent_supervisors`) where"
        " none are listed goes to its officers (`prevent_officers@<area>`). Null when it went"
        " to `recipient`, or has not been sent yet."
    )
    template: str
    channel: str
    status: Status
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptRead(BaseModel):
    """One delivery attempt, logged before it was made."""

    attempt: int
    channel: str = Field(description="`pending` until the recipient was resolved.")
    outcome: Literal["delivered", "retry", "failed", "interrupted"] | None = Field(
        description="Null while the attempt is under way. `interrupted`: its dispatcher stopped"
        " before recording an outcome, so the message may or may not have gone out; the next"
        " attempt carries the same Message-ID, delivery id or Notify reference."
    )
    error: str | None
    started_at: datetime
    at: datetime | None = Field(description="When the outcome became known.")


class NotificationDetail(NotificationRead):
    """A delivery log entry with every attempt."""

    attempts_log: list[AttemptRead]


class ResendFilter(BaseModel):
    """Which failed notifications to send again; none given: every failed one the caller sees."""

    model_config = ConfigDict(extra="forbid")

    referral_id: UUID | None = None
    template: str | None = Field(default=None, max_length=100)


class Resent(BaseModel):
    """The notifications queued again, each to be sent on its next attempt."""

    ids: list[UUID]


class Claimed(BaseModel):
    """A notification a dispatcher took to send."""

    id: UUID
    referral_id: UUID
    recipient: str
    template: str
    params: dict[str, str]
    attempts: int
    # Where the latest resend found the attempts: retries are counted from there.
    attempts_before_resend: int = 0


@dataclass(frozen=True)
class DirectoryEntryWrite:
    """Where a role is reached in a scope (an area, a provider, a partner agency), as the
    directory stores it: the request bodies below have checked it."""

    address: str
    webhook_secret: str | None = None


class EmailEntryWrite(BaseModel):
    """A mailbox where a role is reached in a scope."""

    address: EmailStr = Field(max_length=320, examples=["prevent-team@north.police.example"])

    def entry(self) -> DirectoryEntryWrite:
        """As the directory stores it."""
        return DirectoryEntryWrite(address=self.address)


class WebhookEntryWrite(BaseModel):
    """A system reached by signed webhook (HMAC-SHA256 of each body with `webhook_secret`)."""

    address: Annotated[AnyHttpUrl, UrlConstraints(max_length=500)] = Field(
        examples=["https://hub.example.org/prevent"]
    )
    webhook_secret: str = Field(min_length=16, max_length=200)

    def entry(self) -> DirectoryEntryWrite:
        """As the directory stores it."""
        return DirectoryEntryWrite(address=str(self.address), webhook_secret=self.webhook_secret)


class DirectoryEntryRead(BaseModel):
    """A directory entry; the webhook secret is never returned."""

    role: str
    scope: str
    channel: Channel
    address: str
    has_secret: bool
    updated_at: datetime
