"""The cases auditors know of, kept from the lifecycle events (consumer `audit`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from safeguard.audit import purposes
from safeguard.db.pool import Connection
from safeguard.events.contracts import EVENT_TYPES
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
    await _place(conn, envelope)
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
        # The purposes readers stated may name the person: they go with the case's data.
        await purposes.erase(conn, UUID(envelope.subject))
    else:
        return
    await conn.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)


async def _place(conn: Connection, envelope: EventEnvelope) -> None:
    """Keep the case's current area: the newest event that moves the case says where it is."""
    model = EVENT_TYPES.get(envelope.type)
    # A notice (a panel meeting) names the area as its sender last knew it: not a move.
    if model is None or not model.moves_case:
        return
    await conn.execute(
        "UPDATE audit.cases SET area = $2, area_at = $3"
        " WHERE referral_id = $1 AND (area_at IS NULL OR area_at <= $3)",
        UUID(envelope.subject),
        envelope.data["area"],
        envelope.time,
    )


_COLUMNS = (
    "referral_id, reference, workflow_id, opened_at, closed_at, closure_reason, redacted_at,"
    " erased_timeline"
)


async def find_case(conn: Connection, reference: str) -> AuditedCase | None:
    """The case with this reference, if the audit store knows it."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM audit.cases WHERE reference = $1", reference)  # noqa: S608 - fixed column list
    return AuditedCase.model_validate(dict(row)) if row else None


class PlacedCase(BaseModel):
    """Which case a workflow runs, and the area it is in now (None: no event said yet)."""

    referral_id: UUID
    reference: str
    workflow_id: str
    area: str | None


async def cases_by_workflow(conn: Connection, workflow_ids: Sequence[str]) -> dict[str, PlacedCase]:
    """The known cases among these workflow ids, by workflow id."""
    rows = await conn.fetch(
        "SELECT referral_id, reference, workflow_id, area FROM audit.cases"
        " WHERE workflow_id = ANY($1::text[])",
        list(workflow_ids),
    )
    return {row["workflow_id"]: PlacedCase.model_validate(dict(row)) for row in rows}
