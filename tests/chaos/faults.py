"""Kill one part of the running system and time how long until referrals flow through again."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass

import asyncpg

from tests.chaos.load import Answer, Load
from tests.chaos.system import System

# What a chaos run kills, in turn: the worker, one service, then each stateful component.
FAULTS = ("worker", "intake", "kafka", "postgres", "temporal")
NO_FAULT = "none"
RECOVER_WITHIN = 180.0

# A referral has been through every stage once its workflow runs, the officer has its task
# and the referrer's acknowledgement has been sent.
_PROCESSED = """
SELECT r.reference FROM intake.referrals r
 WHERE r.reference = ANY($1::text[]) AND r.workflow_started_at IS NOT NULL
   AND EXISTS (SELECT 1 FROM assessment.tasks t WHERE t.referral_id = r.id)
   AND EXISTS (SELECT 1 FROM notifications.notifications n
                WHERE n.referral_id = r.id AND n.template = 'referral_acknowledgement'
                  AND n.status = 'delivered')
"""


@dataclass(frozen=True)
class Recovery:
    """One fault: how long until a referral was accepted, and fully processed, after it."""

    fault: str
    accepted_after: float
    processed_after: float
    refused: int
    back_after: float


async def processed(system: System, references: list[str]) -> set[str]:
    """Which of `references` have been through every stage (none while the database is out)."""
    try:
        conn = await asyncpg.connect(system.dsn, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return set()
    try:
        rows = await conn.fetch(_PROCESSED, references)
    except (OSError, asyncpg.PostgresError):
        return set()
    finally:
        await conn.close()
    return {row["reference"] for row in rows}


async def inflict(system: System, load: Load, fault: str) -> Recovery:
    """SIGKILL `fault`'s process and wait until a referral sent after it is processed and every
    process is back, without any manual step. Fault "none" kills nothing: the baseline."""
    pid = system.pid(fault) if fault != NO_FAULT else None
    assert pid is not None or fault == NO_FAULT, f"{fault} is not running"
    killed_at = time.monotonic()
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
    deadline = killed_at + RECOVER_WITHIN
    first: Answer | None = None
    processed_at = back_at = None
    while processed_at is None or back_at is None:
        assert time.monotonic() < deadline, f"not recovered from {fault} in {RECOVER_WITHIN}s"
        await asyncio.sleep(0.25)
        first = first or next(iter(load.accepted(since=killed_at)), None)
        if first is not None and processed_at is None:
            if await processed(system, [first.reference or ""]):
                processed_at = time.monotonic()
        if back_at is None and _replaced(system, fault, pid) and await system.all_back():
            back_at = time.monotonic()
    assert first is not None
    return Recovery(
        fault=fault,
        accepted_after=first.answered_at - killed_at,
        processed_after=processed_at - killed_at,
        refused=load.refused(since=killed_at, until=first.sent_at),
        back_after=back_at - killed_at,
    )


def _replaced(system: System, fault: str, killed: int | None) -> bool:
    """Whether the killed process has a live successor (trivially, when nothing was killed)."""
    return killed is None or system.pid(fault) not in (None, killed)
