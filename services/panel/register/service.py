"""Keeping the approved-provider register, and holding support plans to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from safeguard.audit.actions import record_action
from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection, Pool
from safeguard.errors import FieldError, ProblemError
from safeguard.if_match import stale
from services.panel.register import store
from services.panel.register.models import (
    ProviderCreate,
    ProviderFields,
    ProviderRead,
    ProviderUpdate,
)
from workflows.referral.actions import Intervention

# Approvals run to the end of a day in England and Wales.
LONDON = ZoneInfo("Europe/London")
NOUN = "register entry"


def today() -> dt.date:
    """The date in England and Wales."""
    return dt.datetime.now(LONDON).date()


def unknown_provider() -> ProblemError:
    """404 for an id not on the register."""
    return ProblemError(404, "Unknown provider", "No provider with that id on the register.")


def _read(row: asyncpg.Record, on: dt.date) -> ProviderRead:
    usable = bool(row["active"]) and row["approved_until"] >= on
    return ProviderRead.model_validate(dict(row) | {"usable": usable})


async def list_providers(pool: Pool, *, area: str | None, usable: bool) -> list[ProviderRead]:
    """Entries by name: those covering `area` (if given), only usable ones (if asked)."""
    on = today()
    async with pool.acquire() as conn:
        rows = await store.listed(conn, area=area, usable_on=on if usable else None)
    return [_read(row, on) for row in rows]


async def read(pool: Pool, *, provider_id: str) -> ProviderRead:
    """One entry (404 if absent)."""
    async with pool.acquire() as conn:
        row = await store.find(conn, provider_id)
    if row is None:
        raise unknown_provider()
    return _read(row, today())


def _stored(body: ProviderFields, active: bool = True) -> dict[str, Any]:
    fields = body.model_dump()
    # Sorted and without repeats: the entry reads the same however it was typed.
    fields["support"] = sorted({str(kind) for kind in body.support})
    fields["areas"] = sorted(set(body.areas))
    return fields | {"active": active}


async def _logged(
    conn: Connection, principal: StaffPrincipal, action: str, entry: ProviderRead
) -> None:
    # Codes, dates and the id only: the name may be a person's, and the log outlives erasure.
    await record_action(
        conn,
        principal,
        action,
        [],
        provider_id=entry.id,
        support=[str(kind) for kind in entry.support],
        areas=entry.areas,
        national=entry.national,
        approved_until=entry.approved_until,
        active=entry.active,
        version=entry.version,
    )


async def create(pool: Pool, *, principal: StaffPrincipal, body: ProviderCreate) -> ProviderRead:
    """A new entry (409 if its id is taken)."""
    fields = _stored(body)
    fields.pop("id")
    async with pool.acquire() as conn, conn.transaction():
        if not await store.insert(conn, provider_id=body.id, by=principal.subject, fields=fields):
            raise ProblemError(
                409, "Provider already registered", "The register has an entry with that id."
            )
        row = await store.find(conn, body.id)
        assert row is not None  # noqa: S101 - inserted just above, in this transaction
        entry = _read(row, today())
        await _logged(conn, principal, "panel.provider_registered", entry)
    return entry


async def _replace(
    conn: Connection,
    principal: StaffPrincipal,
    *,
    provider_id: str,
    version: int,
    fields: dict[str, Any],
) -> ProviderRead:
    if await store.find(conn, provider_id) is None:
        raise unknown_provider()
    row = await store.update(
        conn, provider_id=provider_id, version=version, by=principal.subject, fields=fields
    )
    if row is None:
        raise stale(NOUN)
    return _read(row, today())


async def update(
    pool: Pool, *, principal: StaffPrincipal, provider_id: str, version: int, body: ProviderUpdate
) -> ProviderRead:
    """Replace an entry's content, if still at `version` (404 absent, 412 moved on)."""
    async with pool.acquire() as conn, conn.transaction():
        entry = await _replace(
            conn,
            principal,
            provider_id=provider_id,
            version=version,
            fields=_stored(body, body.active),
        )
        await _logged(conn, principal, "panel.provider_updated", entry)
    return entry


async def deactivate(
    pool: Pool, *, principal: StaffPrincipal, provider_id: str, version: int
) -> ProviderRead:
    """Plans may no longer choose the provider; the items they already have stay."""
    async with pool.acquire() as conn, conn.transaction():
        row = await store.find(conn, provider_id)
        if row is None:
            raise unknown_provider()
        fields = {name: row[name] for name in ProviderFields.model_fields} | {"active": False}
        entry = await _replace(
            conn, principal, provider_id=provider_id, version=version, fields=fields
        )
        await _logged(conn, principal, "panel.provider_deactivated", entry)
    return entry


# --- plans choose from the register ---------------------------------------------------------


def _refusal(
    entry: asyncpg.Record | None, item: Intervention, area: str, on: dt.date
) -> tuple[str, str] | None:
    """Why a plan item may not name its provider (title, reason), or None."""
    if entry is None:
        return "Unknown provider", "names a provider that is not on the register"
    if not entry["active"]:
        return "Provider inactive", "names a provider the register has deactivated"
    if entry["approved_until"] < max(on, item.start):
        return "Provider approval expired", "names a provider whose approval has ended by then"
    if not entry["national"] and area not in entry["areas"]:
        return "Provider not approved in the area", "names a provider not approved in this area"
    if str(item.type) not in entry["support"]:
        return (
            "Provider not approved for the support",
            "names a provider not approved to give this kind of support",
        )
    return None


async def check_plan(
    conn: Connection, interventions: Sequence[Intervention], *, area: str, at: str
) -> None:
    """422 unless every item names a provider the register approves, today, in `area`, for
    its kind of support. `at` is where the interventions are in the request body."""
    entries = await store.find_many(conn, [item.provider_id for item in interventions])
    on = today()
    for position, item in enumerate(interventions):
        refusal = _refusal(entries.get(item.provider_id), item, area, on)
        if refusal is not None:
            title, reason = refusal
            # The position, never the id: an error does not echo what was sent.
            raise ProblemError(
                422,
                title,
                f"Intervention {position + 1} of the plan {reason}.",
                errors=[
                    FieldError(
                        field=f"{at}.{position}.provider_id", message=f"The intervention {reason}"
                    ).model_dump()
                ],
            )
