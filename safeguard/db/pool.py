"""The asyncpg connection pool each process creates once."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from safeguard.settings import Settings

# asyncpg's classes are generic only in its stubs, so the subscripted forms are for mypy.
if TYPE_CHECKING:
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
    # Route code gets pool proxies, scripts get plain connections; SQL helpers take either.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Pool = asyncpg.Pool
    Connection = asyncpg.Connection | PoolConnectionProxy


async def _init_connection(conn: Connection) -> None:
    # jsonb columns travel as Python dicts rather than strings.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(settings: Settings, *, dsn: str | None = None) -> Pool:
    """Open a pool to the configured database."""
    return await asyncpg.create_pool(
        dsn or settings.database_dsn(),
        min_size=1,
        max_size=settings.database_pool_max,
        init=_init_connection,
    )
