"""`record_events` writes a step's events to the outbox as `record_event` did one by one."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from safeguard.db.pool import Pool, create_pool
from safeguard.events.envelope import EventEnvelope
from safeguard.settings import Settings
from tests.events.factories import envelope_for, sample_event
from workflows.referral.activities import ReferralActivities
from workflows.referral.models import RecordEventInput, RecordEventsInput


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on this test's database."""
    opened = await create_pool(settings)
    try:
        yield opened
    finally:
        await opened.close()


def step(referral_id: uuid.UUID) -> list[EventEnvelope]:
    """The events of a gateway assessment closing a case, in publishing order."""
    fields = {"referral_id": str(referral_id), "reference": "PRV-2026-000417"}
    return [
        envelope_for(sample_event("assessment.recorded", **fields)),
        envelope_for(sample_event("case.closed", **fields)),
    ]


def with_new_ids(envelopes: list[EventEnvelope]) -> list[EventEnvelope]:
    return [envelope.model_copy(update={"id": uuid.uuid4()}) for envelope in envelopes]


async def written(pool: Pool, referral_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """The case's outbox rows and audit entries, in outbox order, without ids and times."""
    rows = await pool.fetch(
        "SELECT o.topic, o.key, o.payload, l.action, l.actor, l.role, l.detail"
        " FROM messaging.outbox o JOIN audit.log_entries l ON l.detail->>'event_id' ="
        " o.event_id::text WHERE o.key = $1 ORDER BY o.id",
        str(referral_id),
    )
    return [_without_ids(tuple(row)) for row in rows]


def _without_ids(row: tuple[Any, ...]) -> tuple[Any, ...]:
    topic, key, payload, action, actor, role, detail = row
    payload, detail = _json(payload), _json(detail)
    payload.pop("id")
    payload.pop("time")
    detail.pop("event_id")
    return topic, key, json.dumps(payload, sort_keys=True), action, actor, role, detail


def _json(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str) else value)


async def test_a_steps_events_are_written_as_one_call_per_event_wrote_them(pool: Pool) -> None:
    activities = ReferralActivities(pool)
    env = ActivityEnvironment()
    referral_id = uuid.uuid4()
    events = step(referral_id)
    for envelope in events:
        await env.run(activities.record_event, RecordEventInput(envelope=envelope))
    one_by_one = await written(pool, referral_id)
    assert [row[3] for row in one_by_one] == ["assessment.recorded", "case.closed"]

    again = with_new_ids(events)
    await env.run(activities.record_events, RecordEventsInput(envelopes=again))
    rows = await pool.fetch(
        "SELECT event_id, payload FROM messaging.outbox WHERE key = $1 ORDER BY id",
        str(referral_id),
    )
    assert [row["event_id"] for row in rows[2:]] == [envelope.id for envelope in again]
    assert [_json(row["payload"]) for row in rows[2:]] == [
        envelope.model_dump(mode="json") for envelope in again
    ]
    assert (await written(pool, referral_id))[2:] == one_by_one


async def test_a_retried_batch_writes_nothing_twice(pool: Pool) -> None:
    activities = ReferralActivities(pool)
    env = ActivityEnvironment()
    referral_id = uuid.uuid4()
    events = step(referral_id)
    # The first event went out alone (a call of the older kind, say), then the batch is
    # attempted twice (the first attempt's answer was lost).
    await env.run(activities.record_event, RecordEventInput(envelope=events[0]))
    batch = RecordEventsInput(envelopes=events)
    await env.run(activities.record_events, batch)
    await env.run(activities.record_events, batch)

    rows = await pool.fetch(
        "SELECT event_id FROM messaging.outbox WHERE key = $1 ORDER BY id", str(referral_id)
    )
    assert [row["event_id"] for row in rows] == [envelope.id for envelope in events]
    logged = await pool.fetchval(
        "SELECT count(*) FROM audit.log_entries WHERE referral_id = $1", referral_id
    )
    assert logged == len(events)
