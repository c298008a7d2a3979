"""SQL of the approved-provider register (`panel.providers`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import asyncpg

from safeguard.db.pool import Connection

_COLUMNS = "id, name, support, areas, national, approved_until, active, version, updated_at"


async def find(conn: Connection, provider_id: str) -> asyncpg.Record | None:
    """One entry."""
    return await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM panel.providers WHERE id = $1",  # noqa: S608 - fixed columns
        provider_id,
    )


async def find_many(conn: Connection, provider_ids: Sequence[str]) -> dict[str, asyncpg.Record]:
    """Entries by id (ids not on the register are absent)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM panel.providers WHERE id = ANY($1::text[])",  # noqa: S608 - fixed columns
        list(set(provider_ids)),
    )
    return {row["id"]: row for row in rows}


async def listed(
    conn: Connection, *, area: str | None, usable_on: dt.date | None
) -> list[asyncpg.Record]:
    """Entries by name: those covering `area` (nationals included) and, with `usable_on`,
    only those active and approved on that day."""
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM panel.providers"  # noqa: S608 - fixed columns
        " WHERE ($1::text IS NULL OR national OR $1 = ANY(areas))"
        " AND ($2::date IS NULL OR (active AND approved_until >= $2))"
        " ORDER BY name, id",
        area,
        usable_on,
    )


async def insert(conn: Connection, *, provider_id: str, by: str, fields: dict[str, Any]) -> bool:
    """A new entry; False if the id is taken."""
    row = await conn.fetchrow(
        "INSERT INTO panel.providers"
        " (id, name, support, areas, national, approved_until, created_by, updated_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (id) DO NOTHING RETURNING id",
        provider_id,
        fields["name"],
        fields["support"],
        fields["areas"],
        fields["national"],
        fields["approved_until"],
        by,
    )
    return row is not None


async def update(
    conn: Connection, *, provider_id: str, version: int, by: str, fields: dict[str, Any]
) -> asyncpg.Record | None:
    """Replace an entry's content if it is still at `version`; None if not (or absent)."""
    return await conn.fetchrow(
        "UPDATE panel.providers SET name = $3, support = $4, areas = $5, national = $6,"  # noqa: S608 - fixed columns
        " approved_until = $7, active = $8, updated_by = $9, updated_at = now(),"
        " version = version + 1"
        f" WHERE id = $1 AND version = $2 RETURNING {_COLUMNS}",
        provider_id,
        version,
        fields["name"],
        fields["support"],
        fields["areas"],
        fields["national"],
        fields["approved_until"],
        fields["active"],
        by,
    )
