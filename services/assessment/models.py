"""Response bodies of the assessment API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class TaskRead(BaseModel):
    """One task in an officer's inbox."""

    id: UUID
    referral_id: UUID
    reference: str
    kind: str
    stage: str
    sector: str
    concern_type: str
    due_at: datetime | None
    created_at: datetime


class TaskPage(BaseModel):
    """A page of tasks."""

    items: list[TaskRead]
