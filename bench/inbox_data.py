"""Synthetic read model for bench/inbox: cases, their lifecycle events and tasks, by COPY.

Shares follow ../shared/domain.md loosely: most cases are closed, some await assessment,
some are police-led; ten events per case; areas spread evenly.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

EVENTS_PER_CASE = 10
SOURCE = "/workflows/referral"
NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Case:
    """One synthetic case."""

    referral_id: uuid.UUID
    reference: str
    area: str
    stage: str
    received_at: datetime


def areas(count: int) -> list[str]:
    """ONS-style area codes."""
    return [f"E0800{n:04d}" for n in range(count)]


def make_cases(count: int, area_codes: list[str], rng: random.Random) -> list[Case]:
    """`count` cases: 15% in gateway assessment, 10% police-led, the rest closed."""
    cases = []
    for n in range(count):
        roll = rng.random()
        stage = "GATEWAY_ASSESSMENT" if roll < 0.15 else "POLICE_LED" if roll < 0.25 else "CLOSED"
        received = NOW - timedelta(days=rng.uniform(0, 720))
        if stage == "GATEWAY_ASSESSMENT":
            received = NOW - timedelta(days=rng.uniform(0, 10))
        cases.append(
            Case(
                uuid.uuid4(), f"PRV-2025-{n:06d}", area_codes[n % len(area_codes)], stage, received
            )
        )
    return cases


def _event(case: Case, n: int, at: datetime) -> tuple[str, dict[str, Any]]:
    """The n-th event of a case: submitted, reminder, assessed, then police reviews."""
    base = {"referral_id": str(case.referral_id), "reference": case.reference, "area": case.area}
    due = (case.received_at + timedelta(days=7)).isoformat()
    if n == 0:
        data = {"sector": "education", "concern_type": "mixed_unclear_unstable"}
        return "referral.submitted", base | data | {"assessment_due_at": due}
    if n == 1:
        return "assessment.reminder_due", base | {"due_at": due}
    if n == 2:
        return "assessment.recorded", base | {
            "outcome": "POLICE_LED",
            "actor_role": "prevent_officer",
        }
    if n % 2 == 1:
        return "police_review.due", base | {"due_at": at.isoformat()}
    return "police_review.recorded", base | {"actor_role": "prevent_officer"}


def events(case: Case) -> list[tuple[Any, ...]]:
    """Rows of `assessment.case_events` for one case."""
    rows = []
    for n in range(EVENTS_PER_CASE):
        at = case.received_at + timedelta(hours=6 * n)
        kind, data = _event(case, n, at)
        data["stage"] = case.stage
        rows.append((uuid.uuid4(), case.referral_id, kind, at, SOURCE, 1, json.dumps(data)))
    return rows


def tasks(case: Case) -> list[tuple[Any, ...]]:
    """Rows of `assessment.tasks`: a gateway task, and a review task for police-led cases."""
    gateway_open = case.stage == "GATEWAY_ASSESSMENT"
    due = case.received_at + timedelta(days=7)
    rows = [_task(case, "gateway_assessment", "open" if gateway_open else "done", due)]
    if case.stage == "POLICE_LED":
        rows.append(_task(case, "police_review", "open", case.received_at + timedelta(days=90)))
    return rows


def _task(case: Case, kind: str, status: str, due: datetime) -> tuple[Any, ...]:
    closed = None if status == "open" else due
    return (
        uuid.uuid4(),
        case.referral_id,
        case.reference,
        kind,
        case.stage,
        "education",
        "mixed_unclear_unstable",
        due,
        case.received_at,
        uuid.uuid4(),
        case.area,
        status,
        closed,
    )


def case_row(case: Case) -> tuple[Any, ...]:
    """A row of `assessment.cases`."""
    last = case.received_at + timedelta(hours=6 * (EVENTS_PER_CASE - 1))
    return (
        case.referral_id,
        case.reference,
        case.area,
        case.stage,
        "education",
        "mixed_unclear_unstable",
        case.received_at,
        last,
    )


async def load(conn: asyncpg.Connection[asyncpg.Record], cases: list[Case]) -> None:
    """COPY the cases, their events and tasks; then refresh the planner's statistics."""
    await conn.copy_records_to_table(
        "cases",
        schema_name="assessment",
        records=[case_row(case) for case in cases],
        columns=[
            "referral_id",
            "reference",
            "area",
            "stage",
            "sector",
            "concern_type",
            "received_at",
            "last_event_at",
        ],
    )
    await conn.copy_records_to_table(
        "tasks",
        schema_name="assessment",
        records=[row for case in cases for row in tasks(case)],
        columns=[
            "id",
            "referral_id",
            "reference",
            "kind",
            "stage",
            "sector",
            "concern_type",
            "due_at",
            "created_at",
            "source_event_id",
            "area",
            "status",
            "closed_at",
        ],
    )
    batch: list[tuple[Any, ...]] = []
    for case in cases:
        batch += events(case)
        if len(batch) >= 200_000:
            await _copy_events(conn, batch)
            batch = []
    if batch:
        await _copy_events(conn, batch)
    await conn.execute("ANALYZE assessment.cases, assessment.tasks, assessment.case_events")


async def _copy_events(
    conn: asyncpg.Connection[asyncpg.Record], rows: list[tuple[Any, ...]]
) -> None:
    await conn.copy_records_to_table(
        "case_events",
        schema_name="assessment",
        records=rows,
        columns=["event_id", "referral_id", "type", "time", "source", "schema_version", "data"],
    )
