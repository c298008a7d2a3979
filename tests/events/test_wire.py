"""Every event type through the real outbox, relay and broker: keyed by case, ids and codes only."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from safeguard.background import running
from safeguard.db.pool import Pool
from safeguard.events.contracts import EVENT_TYPES
from safeguard.events.schema_files import committed_schemas, file_name
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.outbox import OutboxRelay, enqueue
from safeguard.settings import Settings
from tests.events.factories import envelope_for, sample_event
from tests.events.kafka_reading import read_topic

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
# Enum values and codes: lower or upper case words joined by _ - . (no spaces, no @).
CODE = r"[A-Za-z0-9]+([_.\-][A-Za-z0-9]+)*"
ALLOWED = re.compile(f"{UUID}|{TIMESTAMP}|{CODE}")


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


async def test_every_type_reaches_kafka_keyed_by_case_holding_only_ids_and_codes(
    settings: Settings, pool: Pool
) -> None:
    envelopes = [envelope_for(sample_event(t)) for t in sorted(EVENT_TYPES)]
    async with pool.acquire() as conn, conn.transaction():
        for envelope in envelopes:
            await enqueue(conn, envelope, topic=REFERRAL_EVENTS)
    relay = OutboxRelay(settings=settings, pool=pool)
    async with running(relay.run(poll_seconds=0.2)):
        records = await read_topic(
            settings.kafka_servers(), settings.topic(REFERRAL_EVENTS), expected=len(envelopes)
        )
    schemas = committed_schemas()
    for record in records:
        wire = json.loads(record.value)
        model = EVENT_TYPES[wire["type"]]
        assert record.key == wire["subject"].encode() == wire["data"]["referral_id"].encode()
        jsonschema.validate(wire["data"], schemas[file_name(wire["type"], model.schema_version)])
        loose = [s for s in _strings(wire["data"]) if not ALLOWED.fullmatch(s)]
        assert not loose, f"{wire['type']} carries free text: {loose}"
    assert sorted(json.loads(r.value)["type"] for r in records) == sorted(EVENT_TYPES)
