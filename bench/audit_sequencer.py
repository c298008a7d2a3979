"""The audit log's sequencer alone, as the audit service runs it (bench/audit starts it beside
the service under test, in a process of its own as in production)."""

from __future__ import annotations

import asyncio

from safeguard.audit.log.setup import sequencer_for
from safeguard.db.pool import create_pool
from safeguard.settings import get_settings


async def main() -> None:
    settings = get_settings()
    pool = await create_pool(settings)
    try:
        await sequencer_for(pool, settings).run()
    finally:
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
