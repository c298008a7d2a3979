"""Each case's reference and current area, kept from the lifecycle events (`notifications.cases`).

The delivery log is scoped by area and asked for by reference; neither is in the log itself,
so this small projection keeps them, as the other services' read models do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from safeguard import projection
from safeguard.db.pool import Connection
from safeguard.events.contracts import DomainEvent

SCHEMA = "notifications"
# A notice (a meeting's) only fills a case not seen yet: any step of the case is newer.
_NOT_A_STEP = datetime(1970, 1, 1, tzinfo=UTC)


async def track(conn: Connection, event: DomainEvent, *, at: datetime) -> None:
    """Move the case to the event's area and stage; a notice only records an unknown case."""
    await projection.advance_case(
        conn,
        schema=SCHEMA,
        referral_id=event.referral_id,
        reference=event.reference,
        stage=event.stage,
        area=event.area,
        at=at if event.moves_case else _NOT_A_STEP,
    )


async def find(conn: Connection, reference: str) -> tuple[UUID, str] | None:
    """The referral id and area of the case with `reference`, or None."""
    row = await conn.fetchrow(
        "SELECT referral_id, area FROM notifications.cases WHERE reference = $1", reference
    )
    return None if row is None else (row["referral_id"], row["area"])
