"""What an attachment records, and what callers send and read of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from safeguard.personal import PERSONAL


class DocumentType(StrEnum):
    """What kind of document it is, as case workers file them."""

    CHRONOLOGY = "chronology"
    SCHOOL_REPORT = "school_report"
    ONLINE_ACTIVITY_SCREENSHOT = "online_activity_screenshot"
    MINUTES = "minutes"
    CONSENT_FORM = "consent_form"
    SUPPORT_PLAN = "support_plan"
    PROVIDER_REPORT = "provider_report"
    OTHER = "other"


# A title or file name may name the person: sealed at rest, erased with the case.
Title = Annotated[str, Field(min_length=1, max_length=200), PERSONAL]
FileName = Annotated[str, Field(min_length=1, max_length=255), PERSONAL]


class AttachmentFields(BaseModel):
    """The form fields sent beside the file."""

    document_type: DocumentType
    title: Title
    # Seen only by the police (officers and police auditors); only they may set it.
    police_only: bool = False


class AttachmentRead(BaseModel):
    """One attachment as listed: who attached what, when, and how to fetch it."""

    id: UUID
    document_type: DocumentType
    title: Title
    file_name: FileName
    media_type: str = Field(examples=["application/pdf"])
    size_bytes: int
    sha256: str = Field(description="SHA-256 of the file, hex.")
    uploaded_at: datetime
    uploaded_by: str = Field(description="The staff subject or partner client that attached it.")
    uploaded_role: str
    police_only: bool
    download_url: str
