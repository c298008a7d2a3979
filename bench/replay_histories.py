"""Closed cases' histories for bench/replay_bulk: recorded once with time skipping, then cached.

Each case follows bench/lifecycle's script for its synthetic outcome (tests/synthetic.py's
national shares) up to its closure, and its history is taken as the audit archiver takes it
when the case closes: the run as it stands, its events published, the retention timer
running. Recording 9,000 takes minutes, so the histories are kept (payloads encrypted with
the development key, as the test settings encrypt them) in a cache file outside the
repository, and a later run records only the ones it lacks.
"""

from __future__ import annotations

import asyncio
import struct
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory
from temporalio.exceptions import TemporalError

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from lifecycle import SCRIPTS, Case, Driver  # noqa: E402

from tests import synthetic  # noqa: E402
from tests.temporal_server import start_time_skipping_server  # noqa: E402

DEFAULT_CACHE = Path.home() / ".cache" / "safeguard" / "replay-bulk" / "closed-cases.bin"
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class Recorded:
    """A closed case's history and the outcome its script played."""

    outcome: str
    history: WorkflowHistory


class ClosingDriver(Driver):
    """bench/lifecycle's driver, stopping at closure instead of running on to redaction."""

    async def finish(self, case: Case) -> None:
        # What the archiver stores at closure: every event of the closing step published.
        for _ in range(500):
            described = await case.describe()
            if not described.raw_description.pending_activities:
                return
            await asyncio.sleep(0.02)
        raise RuntimeError(f"{case.id} kept an activity pending")


def read_cache(path: Path) -> list[Recorded]:
    """The cached histories, in recording order (a record cut short by an interrupted run is
    left out; the next recording writes over it)."""
    return [record for record, _ in _records(path)]


def _records(path: Path) -> Iterator[tuple[Recorded, int]]:
    """Each whole record and the offset just after it."""
    if not path.exists():
        return
    data = path.read_bytes()
    offset = 0
    while True:
        parts = []
        for _ in range(3):
            if offset + _LENGTH.size > len(data):
                return
            (length,) = _LENGTH.unpack_from(data, offset)
            offset += _LENGTH.size
            if offset + length > len(data):
                return
            parts.append(data[offset : offset + length])
            offset += length
        outcome, workflow_id, raw = parts
        history = WorkflowHistory(workflow_id.decode(), list(History.FromString(raw).events))
        yield Recorded(outcome.decode(), history), offset


def _append(cache: BinaryIO, recorded: Recorded) -> None:
    raw = History(events=recorded.history.events).SerializeToString()
    for part in (recorded.outcome.encode(), recorded.history.workflow_id.encode(), raw):
        cache.write(_LENGTH.pack(len(part)) + part)
    cache.flush()


async def record(path: Path, count: int, *, concurrency: int) -> None:
    """Bring the cache at `path` to `count` closed cases by the national shares."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records = list(_records(path))
    whole = records[-1][1] if records else 0
    people = synthetic.population(count)[len(records) :]
    if not people:
        return
    env = await start_time_skipping_server()
    task_queue = f"bench-replay-bulk-{uuid.uuid4().hex[:8]}"
    address = env.client.service_client.config.target_host
    worker = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).parent / "lifecycle_worker.py"), address, task_queue
    )
    driver = ClosingDriver(env, task_queue)
    gate = asyncio.Semaphore(concurrency)
    try:
        with path.open("r+b" if records else "wb") as cache:
            cache.truncate(whole)
            cache.seek(whole)

            async def one(person: synthetic.Profile) -> None:
                async with gate:
                    try:
                        case, _ = await SCRIPTS[person.outcome](driver, person)
                        _append(cache, Recorded(person.outcome, await case.fetch_history()))
                    # On a busy machine an update can time out: a later run records the case.
                    except (TemporalError, RuntimeError) as error:
                        print(f"not recorded: {error}", file=sys.stderr)

            await asyncio.gather(*(one(person) for person in people))
    finally:
        worker.terminate()
        await worker.wait()
        await env.shutdown()
