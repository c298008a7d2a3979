"""Response bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class NotificationRead(BaseModel):
    """One entry of the delivery log."""

    id: UUID
    event_id: UUID
    referral_id: UUID
    recipient_role: str
    template: str
    channel: str
    status: str
    created_at: datetime
