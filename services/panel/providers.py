"""Intervention providers: the plan items assigned to them, and their contacts against them."""

from __future__ import annotations

import uuid
from uuid import UUID

import asyncpg

from safeguard.access_log import record_read
from safeguard.audit.actions import record_action
from safeguard.auth.staff import StaffPrincipal
from safeguard.codes import Stage
from safeguard.db.pool import Connection, Pool
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.keyring import Keyring
from services.panel import records, views
from services.panel.access import SERVICE
from services.panel.models import ContactCreate, ContactRead, ProviderItemRead

ITEM_FIELDS = ("plan_item", "plan_item.contacts")


async def _views(
    conn: Connection, keyring: Keyring, rows: list[asyncpg.Record]
) -> list[ProviderItemRead]:
    """Items with their planned frequency and dates, and the provider's contacts."""
    found = []
    contacts = await records.contacts(conn, keyring, [row["item_id"] for row in rows])
    for referral_id in dict.fromkeys(row["referral_id"] for row in rows):
        actions = await records.actions_for_case(conn, keyring, referral_id, views.PLAN_ACTIONS)
        submitted = {a["plan_revision"]: a for a in actions if a["detail"].get("plan")}
        for row in (r for r in rows if r["referral_id"] == referral_id):
            item = views.plan_item(row, submitted)
            found.append(
                ProviderItemRead(
                    **item.model_dump(),
                    stage=row["stage"],
                    contacts=[
                        ContactRead.model_validate(dict(c))
                        for c in contacts
                        if c["item_id"] == row["item_id"]
                    ],
                )
            )
    return found


async def _log(
    conn: Connection, principal: StaffPrincipal, rows: list[asyncpg.Record], purpose: str
) -> None:
    # One row per case shown: "who read this case" must find the provider too.
    for referral_id in dict.fromkeys(row["referral_id"] for row in rows):
        await record_read(
            conn,
            service=SERVICE,
            principal=principal,
            referral_id=referral_id,
            fields=ITEM_FIELDS,
            purpose=purpose,
        )


async def my_items(
    pool: Pool,
    keyring: Keyring,
    *,
    principal: StaffPrincipal,
    include_superseded: bool,
    purpose: str,
) -> list[ProviderItemRead]:
    """The caller's plan items (current revisions only, unless asked)."""
    if principal.provider_id is None:
        return []
    async with pool.acquire() as conn, conn.transaction():
        rows = await records.items_for_provider(
            conn, provider_id=principal.provider_id, current_only=not include_superseded
        )
        found = await _views(conn, keyring, list(rows))
        await _log(conn, principal, list(rows), purpose)
    return found


async def _my_item(conn: Connection, principal: StaffPrincipal, item_id: UUID) -> asyncpg.Record:
    row = await records.item(conn, item_id)
    # Another provider's item is answered exactly like one that does not exist.
    if row is None or principal.provider_id is None or row["provider_id"] != principal.provider_id:
        raise ProblemError(404, "Unknown plan item", "No plan item with that id of yours.")
    return row


async def my_item(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, item_id: UUID, purpose: str
) -> ProviderItemRead:
    """One of the caller's plan items with its contacts."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _my_item(conn, principal, item_id)
        found = await _views(conn, keyring, [row])
        await _log(conn, principal, [row], purpose)
    return found[0]


async def record_contact(
    pool: Pool, keyring: Keyring, *, principal: StaffPrincipal, item_id: UUID, body: ContactCreate
) -> ProviderItemRead:
    """A contact or session (attended or missed) against a current item of an active plan."""
    contact_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        row = await _my_item(conn, principal, item_id)
        if row["stage"] != Stage.SUPPORT_ACTIVE:
            raise ProblemError(
                409, "The case has moved on", "Support is not active.", stage=row["stage"]
            )
        if not row["current"]:
            raise ProblemError(
                409,
                "Plan item superseded",
                "A later revision of the plan replaced this item.",
                stage=row["stage"],
            )
        await records.add_contact(
            conn,
            keyring,
            contact_id=contact_id,
            item_id=item_id,
            referral_id=row["referral_id"],
            provider_id=row["provider_id"],
            held_on=body.held_on,
            kind=body.kind,
            attended=body.attended,
            notes=body.notes,
            by=principal.subject,
        )
        # Sessions happen outside the workflow: the audit log keeps them for the timeline.
        await record_action(
            conn,
            principal,
            "panel.provider_contact_recorded",
            [row["referral_id"]],
            contact_id=contact_id,
            item_id=item_id,
            provider_id=row["provider_id"],
            kind=body.kind,
            attended=body.attended,
            held_on=body.held_on,
        )
        return (await _views(conn, keyring, [row]))[0]
