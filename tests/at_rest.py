"""Looking for personal data in PostgreSQL's own files, as someone holding a copy of them would."""

from __future__ import annotations

import asyncio
import secrets
import string
from pathlib import Path

from safeguard.db.pool import Pool
from safeguard.stack import Stack
from safeguard.stack.postgres import Postgres


def marker() -> str:
    """Letters only (names accept nothing else), unguessable, and found nowhere by chance."""
    return "Zq" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(14))


async def flush_to_disk(pool: Pool) -> None:
    """Dirty pages to the table files and the WAL segment closed, as a backup would copy them."""
    async with pool.acquire() as conn:
        await conn.execute("CHECKPOINT")
        await conn.execute("SELECT pg_switch_wal()")
        await conn.execute("CHECKPOINT")


async def files_holding(stack: Stack, needles: list[str]) -> dict[str, list[str]]:
    """Each needle found in the cluster's data directory (WAL included), with its files."""
    root = next(c for c in stack.components if isinstance(c, Postgres)).pgdata
    return await asyncio.to_thread(_search, root, [n.encode() for n in needles])


def _search(root: Path, needles: list[bytes]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            content = path.read_bytes()
        except OSError:
            continue  # a file PostgreSQL removed while we listed (a recycled WAL segment)
        for needle in needles:
            if needle in content:
                found.setdefault(needle.decode(), []).append(str(path.relative_to(root)))
    return found
