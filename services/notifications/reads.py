"""Reading the delivery log: scoped to the caller's areas, and every read in the access log."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from safeguard.access_log import record_read
from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection, Pool
from safeguard.errors import ProblemError
from services.notifications import cases, store
from services.notifications.access import SERVICE, sees_area, visible_areas
from services.notifications.models import NotificationDetail, NotificationRead, Status

LOG_FIELDS = (
    "notification.reference",
    "notification.recipient",
    "notification.template",
    "notification.status",
)
DETAIL_FIELDS = (*LOG_FIELDS, "notification.attempts")


@dataclass(frozen=True)
class LogQuery:
    """The filters of a delivery log listing."""

    referral_id: UUID | None = None
    reference: str | None = None
    status: Status | None = None
    template: str | None = None
    limit: int = 100
    offset: int = 0


async def list_log(
    pool: Pool, *, principal: StaffPrincipal, purpose: str, query: LogQuery
) -> list[NotificationRead]:
    """The caller's areas' entries matching `query`; 404 for a reference they may not see."""
    async with pool.acquire() as conn, conn.transaction():
        case = await _case_asked(conn, principal, query)
        if query.referral_id is not None and case not in (None, query.referral_id):
            found: list[NotificationRead] = []  # the reference and the id name two cases
        else:
            found = await store.list_notifications(
                conn,
                areas=visible_areas(principal),
                referral_id=case or query.referral_id,
                status=query.status,
                template=query.template,
                limit=query.limit,
                offset=query.offset,
            )
        await record_read(
            conn,
            service=SERVICE,
            principal=principal,
            referral_id=case or query.referral_id,
            fields=LOG_FIELDS,
            purpose=purpose,
        )
    return found


async def read_entry(
    pool: Pool, *, principal: StaffPrincipal, purpose: str, notification_id: UUID
) -> NotificationDetail:
    """One entry with its attempts, if its case is in the caller's areas (else 404)."""
    async with pool.acquire() as conn, conn.transaction():
        found = await store.get_notification(
            conn, notification_id=notification_id, areas=visible_areas(principal)
        )
        if found is None:
            raise ProblemError(
                404, "Unknown notification", "No such notification that you may see."
            )
        await record_read(
            conn,
            service=SERVICE,
            principal=principal,
            referral_id=found.referral_id,
            fields=DETAIL_FIELDS,
            purpose=purpose,
        )
    return found


async def _case_asked(conn: Connection, principal: StaffPrincipal, query: LogQuery) -> UUID | None:
    """The referral id of the case asked for by reference; a case the caller may not see is
    answered exactly like one that does not exist."""
    if query.reference is None:
        return None
    case = await cases.find(conn, query.reference)
    if case is None or not sees_area(principal, case[1]):
        raise ProblemError(404, "Unknown case", "No case with that reference that you may see.")
    return case[0]
