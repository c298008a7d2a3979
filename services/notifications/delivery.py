"""What a sender is given, and how it reports a failure (in words free of personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol
from uuid import UUID

from services.notifications.templates import Rendered

DeliveryChannel = Literal["email", "sms", "letter", "webhook"]


@dataclass(frozen=True)
class Destination:
    """Where one notification goes: an address on a channel (and a webhook's signing key).

    A letter's address is its envelope: the addressee, then the postal lines, one a line.
    `fallback` is the recipient reached in place of the one named, if any (`role@scope`)."""

    channel: DeliveryChannel
    address: str
    secret: str | None = None
    fallback: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """A rendered notification on its way to one destination."""

    notification_id: UUID
    referral_id: UUID
    destination: Destination
    message: Rendered


class DeliveryError(Exception):
    """A delivery failed; `permanent` ones are not retried. The text never holds an address."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    """Delivers over one channel."""

    async def send(self, outgoing: Outgoing) -> None:
        """Deliver, or raise `DeliveryError`."""
        ...
