"""Per-client rate limits kept in PostgreSQL, so every replica of a service shares them.

GCRA (the generic cell rate algorithm): each client has a theoretical arrival time `tat`.
A request at `now` is allowed when `tat - now <= burst tolerance`, and pushes `tat` on by one
emission interval. One UPDATE decides and records atomically, with no window boundaries.

Each client has two budgets: submissions, and status reads. Polling statuses once spent the
budget submissions need, so reads now spend their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from safeguard.auth.agencies import RateLimit
from safeguard.db.pool import Connection


@dataclass(frozen=True)
class Decision:
    """Whether the request may proceed and, if not, how long to wait."""

    allowed: bool
    retry_after_seconds: int = 0


class Budget(StrEnum):
    """A client's budgets, each named by the column holding its arrival time."""

    SUBMIT = "tat"
    READ = "read_tat"


def _interval(limit: RateLimit) -> timedelta:
    return timedelta(minutes=1) / limit.per_minute


# One statement pair per budget, the column named by the enum (never by input).
_SPEND = (
    "UPDATE intake.rate_limits SET {tat} = greatest({tat}, clock_timestamp()) + $2::interval"
    " WHERE client_id = $1 AND greatest({tat}, clock_timestamp()) - clock_timestamp()"
    "   <= $3::interval"
    " RETURNING true"
)
_WAIT = (
    "SELECT extract(epoch FROM greatest({tat}, clock_timestamp()) - clock_timestamp()"
    " - $2::interval) FROM intake.rate_limits WHERE client_id = $1"
)
SPEND = {budget: _SPEND.format(tat=budget.value) for budget in Budget}
WAIT = {budget: _WAIT.format(tat=budget.value) for budget in Budget}


async def take(
    conn: Connection, *, client_id: str, limit: RateLimit, budget: Budget = Budget.SUBMIT
) -> Decision:
    """Spend one request of the client's allowance in `budget`."""
    interval = _interval(limit)
    tolerance = interval * (limit.burst - 1)
    allowed = await conn.fetchval(SPEND[budget], client_id, interval, tolerance)
    if allowed:
        return Decision(allowed=True)
    wait = await conn.fetchval(WAIT[budget], client_id, tolerance)
    return Decision(allowed=False, retry_after_seconds=max(1, math.ceil(float(wait or 0))))
