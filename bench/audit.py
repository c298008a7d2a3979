"""What logging every read costs, and what the audit log's sequencer and verifier manage.

Starts its own PostgreSQL (temporary data dir, free ports; no Kafka or Temporal: the inbox needs
neither), COPYs a read model of cases and tasks, then, in one run:

* the officer inbox (`GET /v1/tasks`) at 1, 8, 32 and 64 concurrent callers against the
  assessment service in three builds (bench/audit_app.py): reads logged as shipped (the Merkle
  log, its sequencer running beside it), reads not logged (benchmark only), and reads logged
  under the hash chain's old global lock: throughput and p50/p99 at each level;
* the sequencer's entries per second over `--entries` unsequenced entries, and the time
  `safeguard audit verify` takes to check them all against their checkpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from inbox import PURPOSE, child_env, free_ports, percentiles, start, uvicorn  # noqa: E402
from inbox_data import areas, load, make_cases  # noqa: E402
from summary import figure  # noqa: E402

from safeguard.audit.log.legacy import chain_key  # noqa: E402
from safeguard.audit.log.sequencer import LEADER_LOCK  # noqa: E402
from safeguard.audit.log.setup import sequencer_for, verifier_key_for, witness_for  # noqa: E402
from safeguard.audit.log.verify import verify  # noqa: E402
from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set  # noqa: E402
from safeguard.codes import Role  # noqa: E402
from safeguard.db.migrate import migrate  # noqa: E402
from safeguard.db.pool import create_pool  # noqa: E402
from safeguard.settings import Settings, StackPorts  # noqa: E402
from safeguard.stack import Stack  # noqa: E402

AREAS = 40
LEVELS = (1, 8, 32, 64)
MODES = ("unlogged", "logged", "global-lock")


def officer(key: dict[str, Any], area: str, subject: str) -> dict[str, str]:
    """Headers of one Prevent officer of `area`."""
    principal = StaffPrincipal(subject=subject, role=Role.PREVENT_OFFICER, areas=(area,))
    token = mint(
        key, principal=principal, issuer="safeguard-dev", audience="safeguard", ttl_seconds=3600
    )
    return {"Authorization": f"Bearer {token}"} | PURPOSE


@dataclass
class Measured:
    """Requests made, the seconds they took and each one's latency, over every round."""

    count: int = 0
    seconds: float = 0.0
    samples: list[float] = field(default_factory=list)

    def add(self, count: int, seconds: float, samples: list[float]) -> None:
        self.count += count
        self.seconds += seconds
        self.samples += samples

    @property
    def rate(self) -> float:
        return self.count / self.seconds


async def inbox_at(
    http: httpx.AsyncClient, key: dict[str, Any], callers: int, count: int, into: Measured
) -> None:
    """`count` inbox requests by `callers` officers of one area, each their own (one officer's
    concurrent requests would queue on the row that records when they were last seen, whatever
    the logging), added to `into`."""
    area = areas(AREAS)[7]
    officers = [officer(key, area, f"officer-{n}") for n in range(callers)]
    samples: list[float] = []
    remaining = iter(range(count))

    async def caller(headers: dict[str, str]) -> None:
        for _ in remaining:
            began = time.perf_counter()
            answer = await http.get("/v1/tasks", headers=headers)
            answer.raise_for_status()
            samples.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(caller(headers) for headers in officers))
    into.add(count, time.perf_counter() - began, samples)


async def measure_mode(
    mode: str, env: dict[str, str], root: Path, port: int, requests: int, into: dict[int, Measured]
) -> None:
    """One round: the inbox at each level against the service built for `mode`."""
    process = await start(
        # Idle keep-alive connections stay open between levels (uvicorn closes them after 5 s,
        # which a client reusing one at that moment sees as a read error).
        [*uvicorn("audit_app:create_app", port), "--timeout-keep-alive", "300"],
        env | {"BENCH_READS": mode},
        root / f"assessment-{mode}.log",
        f"http://127.0.0.1:{port}/health/live",
    )
    sequencer = await start(
        [sys.executable, "bench/audit_sequencer.py"], env, root / f"sequencer-{mode}.log", None
    )
    key = development_signing_key(root / "staff")
    try:
        limits = httpx.Limits(max_connections=max(LEVELS), max_keepalive_connections=max(LEVELS))
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits
        ) as http:
            # Warm up; every officer seen once (a first visit writes their row).
            await inbox_at(http, key, max(LEVELS), max(LEVELS) * 2, Measured())
            for callers in LEVELS:
                await inbox_at(http, key, callers, max(requests, callers * 8), into[callers])
    finally:
        for child in (sequencer, process):
            child.terminate()
            await child.wait()


def report(results: dict[str, dict[int, Measured]], rounds: int) -> None:
    """The inbox table: each build at each level, and logged over unlogged throughput."""
    heading = f"officer inbox, GET /v1/tasks, {rounds} rounds"
    print(f"\n{heading:<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for callers in LEVELS:
        print(f"  {callers} concurrent callers")
        for mode in MODES:
            measured = results[mode][callers]
            p50, p99 = percentiles(measured.samples)
            print(f"    {mode:<36} {measured.rate:8.1f} {p50:8.1f} {p99:8.1f}")
        logged, unlogged = results["logged"][callers].rate, results["unlogged"][callers].rate
        print(f"    {'logged / unlogged':<36} {logged / unlogged:8.2f}")
        figure(f"inbox logged, {callers} callers", logged, unit="req/s", baseline=unlogged)


async def copy_entries(dsn: str, count: int) -> None:
    """`count` unsequenced entries as the services write them (reads of 1,000 cases)."""
    conn = await asyncpg.connect(dsn)
    cases = [uuid.uuid4() for _ in range(1_000)]
    now = datetime.now(UTC)
    try:
        for start_at in range(0, count, 100_000):
            rows = [
                (
                    now,
                    "read",
                    "assessment.read",
                    f"officer-{n % 97}",
                    "prevent_officer",
                    cases[n % len(cases)],
                    json.dumps({"fields": ["form", "events"], "purpose": "gateway assessment"}),
                )
                for n in range(start_at, min(count, start_at + 100_000))
            ]
            await conn.copy_records_to_table(
                "log_entries",
                schema_name="audit",
                columns=["at", "kind", "action", "actor", "role", "referral_id", "detail"],
                records=rows,
            )
    finally:
        await conn.close()


async def measure_log(settings: Settings, count: int) -> None:
    """The sequencer's rate over `count` new entries, then a full verification."""
    await copy_entries(settings.database_dsn(), count)
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            before = await conn.fetchval("SELECT count(*) FROM audit.log_entries WHERE seq IS NULL")
            assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK)
            began = time.perf_counter()
            done = await sequencer_for(pool, settings).catch_up(conn)
            sequenced = time.perf_counter() - began
            await conn.execute("SELECT pg_advisory_unlock($1)", LEADER_LOCK)
            figure("sequencer", done / sequenced, unit="entries/s")
            print(
                f"\nsequencer: {done:,} entries ({before:,} waiting) in {sequenced:.1f} s:"
                f" {done / sequenced:,.0f} entries/s, batches of {settings.audit_log.batch:,}"
            )
            began = time.perf_counter()
            result = await verify(
                conn,
                key=verifier_key_for(settings),
                witness=witness_for(settings),
                chain_key=chain_key(settings),
            )
            checked = time.perf_counter() - began
        assert result.intact, result.findings
        figure("verify", result.entries / checked, unit="entries/s")
        print(
            f"verify: {result.entries:,} entries against {result.checkpoints} checkpoint(s)"
            f" in {checked:.1f} s ({result.entries / checked:,.0f} entries/s)"
        )
    finally:
        await pool.close()


async def main(cases_count: int, requests: int, entries: int, rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-audit-"))
    pg, kafka, controller, temporal, ui, app_port = free_ports(6)
    ports = StackPorts(
        postgres=pg, kafka=kafka, kafka_controller=controller, temporal=temporal, temporal_ui=ui
    )
    settings = Settings(data_dir=root / "data", stack=ports)
    stack = Stack(data_dir=settings.data_dir, ports=ports, components=("postgres",))
    try:
        await stack.up()
        await migrate(settings.database_dsn())
        conn = await asyncpg.connect(settings.database_dsn())
        await load(conn, make_cases(cases_count, areas(AREAS), random.Random(42)))
        await conn.close()
        print(f"read model: {cases_count:,} cases in {AREAS} areas")
        key = development_signing_key(root / "staff")
        env = child_env(settings, {"SAFEGUARD_STAFF_JWKS": json.dumps(public_key_set(key))})
        results = {mode: {level: Measured() for level in LEVELS} for mode in MODES}
        for _ in range(rounds):  # the builds take turns, so drift hits each alike
            for mode in MODES:
                await measure_mode(mode, env, root, app_port, requests, results[mode])
        report(results, rounds)
        await measure_log(settings, entries)
    finally:
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases in the read model")
    parser.add_argument("--requests", type=int, default=800, help="inbox requests per level")
    parser.add_argument("--entries", type=int, default=1_000_000, help="log entries to sequence")
    parser.add_argument("--rounds", type=int, default=2, help="turns of the three builds")
    options = parser.parse_args()
    asyncio.run(main(options.cases, options.requests, options.entries, options.rounds))
