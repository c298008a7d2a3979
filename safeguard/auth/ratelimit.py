"""Per-client rate limits kept in PostgreSQL, so every replica of a service shares them.

GCRA (the generic cell rate algorithm): each client has a theoretical arrival time `tat`.
A request at `now` is allowed when `tat - now <= burst tolerance`, and pushes `tat` on by one
emission interval. One UPDATE decides and records atomically, with no window boundaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from safeguard.auth.agencies import RateLimit
from safeguard.db.pool import Connection


@dataclass(frozen=True)
class Decision:
    """Whether the request may proceed and, if not, how long to wait."""

    allowed: bool
    retry_after_seconds: int = 0


def _interval(limit: RateLimit) -> timedelta:
    return timedelta(minutes=1) / limit.per_minute


async def take(conn: Connection, *, client_id: str, limit: RateLimit) -> Decision:
    """Spend one request of the client's allowance."""
    interval = _interval(limit)
    tolerance = interval * (limit.burst - 1)
    allowed = await conn.fetchval(
        "UPDATE intake.rate_limits SET tat = greatest(tat, clock_timestamp()) + $2::interval"
        " WHERE client_id = $1 AND greatest(tat, clock_timestamp()) - clock_timestamp()"
        "   <= $3::interval"
        " RETURNING true",
        client_id,
        interval,
        tolerance,
    )
    if allowed:
        return Decision(allowed=True)
    wait = await conn.fetchval(
        "SELECT extract(epoch FROM greatest(tat, clock_timestamp()) - clock_timestamp()"
        " - $2::interval) FROM intake.rate_limits WHERE client_id = $1",
        client_id,
        tolerance,
    )
    return Decision(allowed=False, retry_after_seconds=max(1, math.ceil(float(wait or 0))))
