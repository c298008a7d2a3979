"""The cases auditors know of, kept from the lifecycle events (consumer `audit`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from safeguard.db.pool import Connection
from safeguard.events.envelope import EventEnvelope

CONSUMER = "audit"
WAKE_CHANNEL = "safeguard_audit_archiver"


class AuditedCase(BaseModel):
    """A case as the audit store holds it."""

    referral_id: UUID
    reference: str
    workflow_id: str
    opened_at: datetime
    closed_at: datetime | None
    closure_reason: str | None
    redacted_at: datetime | None
    erased_timeline: list[dict[str, Any]] | None


async def handle_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Know every case; on closure archive its history, on redaction erase it."""
    data = envelope.data
    reference = data["reference"]
    await conn.execute(
        "INSERT INTO audit.cases (referral_id, reference, workflow_id, opened_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (referral_id) DO NOTHING",
        UUID(envelope.subject),
        reference,
        f"referral-{reference}",
        envelope.time,
    )
    if envelope.type == "case.closed":
        await conn.execute(
            "UPDATE audit.cases SET closed_at = $2, closure_reason = $3, archive_due = now()"
            " WHERE referral_id = $1",
            UUID(envelope.subject),
            envelope.time,
            data.get("reason"),
        )
    elif envelope.type == "case.redacted":
        await conn.execute(
            "UPDATE audit.cases SET redacted_at = $2, archive_due = now() WHERE referral_id = $1",
            UUID(envelope.subject),
            envelope.time,
        )
    else:
        return
    await conn.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)


_COLUMNS = (
    "referral_id, reference, workflow_id, opened_at, closed_at, closure_reason, redacted_at,"
    " erased_timeline"
)


async def find_case(conn: Connection, reference: str) -> AuditedCase | None:
    """The case with this reference, if the audit store knows it."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM audit.cases WHERE reference = $1", reference)  # noqa: S608 - fixed column list
    return AuditedCase.model_validate(dict(row)) if row else None


async def closed_between(conn: Connection, start: datetime, end: datetime) -> list[AuditedCase]:
    """Cases whose (last) closure falls in [start, end), oldest closure first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM audit.cases WHERE closed_at >= $1 AND closed_at < $2"  # noqa: S608 - fixed column list
        " ORDER BY closed_at",
        start,
        end,
    )
    return [AuditedCase.model_validate(dict(row)) for row in rows]
