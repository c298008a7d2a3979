"""The asyncpg connection pool each process creates once.

It outlives database restarts: asyncpg drops a connection the server closed and opens a new
one at the next acquire, so nothing here needs restarting when PostgreSQL comes back.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from opentelemetry.instrumentation.utils import suppress_instrumentation

from safeguard.outages import Dependency, Outages
from safeguard.settings import Settings

# asyncpg's classes are generic only in its stubs, so the subscripted forms are for mypy.
if TYPE_CHECKING:
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
    # Route code gets pool proxies, scripts get plain connections; SQL helpers take either.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Pool = asyncpg.Pool
    Connection = asyncpg.Connection | PoolConnectionProxy

# An unreachable host should fail a request in seconds, not asyncpg's default minute.
CONNECT_TIMEOUT_SECONDS = 10.0


async def _init_connection(conn: Connection) -> None:
    # jsonb columns travel as Python dicts rather than strings.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class _Initialiser:
    """Sets up each new connection; one that answered its queries means the database is back,
    if `outages` had it down."""

    def __init__(self, outages: Outages | None) -> None:
        self._outages = outages

    async def __call__(self, conn: Connection, /) -> None:
        await _init_connection(conn)
        if self._outages is not None:
            self._outages.ended(Dependency.DATABASE)


async def _reset(conn: Connection, /) -> None:
    # asyncpg's own reset as a connection comes back (advisory locks, cursors, LISTENs and
    # settings cleared), untraced: it would be a span in every request saying nothing of it.
    with suppress_instrumentation():
        await conn.execute(conn.get_reset_query())


async def create_pool(
    settings: Settings, *, dsn: str | None = None, outages: Outages | None = None
) -> Pool:
    """Open a pool to the configured database; `outages` hears when a new connection works.

    It opens connections only when asked (no floor): asyncpg keeps a floor by reconnecting in
    the background, and logs a traceback at every failed try while the database is down.
    """
    return await asyncpg.create_pool(
        dsn or settings.database_dsn(),
        min_size=0,
        max_size=settings.database_pool_max,
        init=_Initialiser(outages),
        reset=_reset,
        timeout=CONNECT_TIMEOUT_SECONDS,
    )
