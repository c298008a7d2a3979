"""Versioned SQL migrations applied in order, each once, under an advisory lock.

A small runner rather than Alembic: the project speaks asyncpg only, and Alembic would bring
SQLAlchemy and a second driver for the sake of running numbered SQL files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import asyncpg

from safeguard.db.pool import Connection

# Any constant works; it only has to be the same for every process that migrates.
_LOCK_KEY = 0x5AFE_6A4D

_LEDGER = """
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """The SHA-256 of the file, so an edited applied migration is noticed."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(Exception):
    """An applied migration no longer matches its file."""


def load_migrations() -> list[Migration]:
    """Every `NNNN_name.sql` file shipped in `safeguard/db/migrations`, in order."""
    folder = resources.files("safeguard.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


async def migrate(dsn: str) -> list[Migration]:
    """Apply pending migrations to the database at `dsn`; return those applied."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            return await _apply_pending(conn)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()


async def _apply_pending(conn: Connection) -> list[Migration]:
    await conn.execute(_LEDGER)
    rows = await conn.fetch("SELECT version, checksum FROM public.schema_migrations")
    applied = {row["version"]: row["checksum"] for row in rows}
    done = []
    for migration in load_migrations():
        if migration.version in applied:
            if applied[migration.version] != migration.checksum:
                raise MigrationError(f"migration {migration.version} changed after it was applied")
            continue
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO public.schema_migrations (version, name, checksum)"
                " VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
        done.append(migration)
    return done
