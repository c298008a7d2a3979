"""After the faults: did every accepted referral go through each stage exactly once?"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import asyncpg
from temporalio.client import Client

from tests.chaos.system import System

_PER_REFERRAL = """
SELECT r.reference,
       (SELECT count(*) FROM assessment.tasks t WHERE t.referral_id = r.id) AS tasks,
       (SELECT count(*) FROM notifications.notifications n
         WHERE n.referral_id = r.id AND n.template = 'referral_acknowledgement') AS acks,
       (SELECT count(*) FROM notifications.notifications n
         WHERE n.referral_id = r.id AND n.template = 'referral_acknowledgement'
           AND n.status = 'delivered') AS sent
  FROM intake.referrals r
"""


@dataclass(frozen=True)
class Counts:
    """Per referral the server accepted (whether or not its answer reached the caller)."""

    workflows: dict[str, int]
    tasks: dict[str, int]
    acknowledgements: dict[str, int]
    sent: dict[str, int]

    @property
    def referrals(self) -> int:
        """How many referrals the server holds."""
        return len(self.tasks)

    def not_once(self) -> dict[str, list[str]]:
        """For each stage, the references that went through it other than exactly once."""
        stages = {
            "workflow": self.workflows,
            "officer task": self.tasks,
            "acknowledgement": self.acknowledgements,
            "acknowledgement sent": self.sent,
        }
        return {
            stage: sorted(ref for ref in self.tasks if counts.get(ref, 0) != 1)
            for stage, counts in stages.items()
            if any(counts.get(ref, 0) != 1 for ref in self.tasks)
        }


async def count_stages(system: System) -> Counts:
    """Count each stage of every referral in the database and in Temporal."""
    conn = await asyncpg.connect(system.dsn)
    try:
        rows = await conn.fetch(_PER_REFERRAL)
    finally:
        await conn.close()
    return Counts(
        workflows=await _workflows(system),
        tasks={row["reference"]: row["tasks"] for row in rows},
        acknowledgements={row["reference"]: row["acks"] for row in rows},
        sent={row["reference"]: row["sent"] for row in rows},
    )


async def _workflows(system: System) -> dict[str, int]:
    """Runs per reference, closed ones included: a second start would show as a second run."""
    client = await Client.connect(system.temporal_address)
    runs: Counter[str] = Counter()
    async for execution in client.list_workflows("WorkflowType = 'ReferralWorkflow'"):
        runs[execution.id.removeprefix("referral-")] += 1
    return dict(runs)
