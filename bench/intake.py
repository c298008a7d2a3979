"""Sustained referrals/s and p50/p99 latency through the intake API, beside raw start_workflow.

Starts its own PostgreSQL, Kafka and Temporal (temporary data dir, free ports) and the intake
service under uvicorn in its own process, as `safeguard run` does. For each concurrency level
it drives POST /v1/referrals for a fixed time, then raw `start_workflow` calls with the same
input on the same Temporal server; the ratio of the two throughputs is intake's overhead.
No worker runs, so both measure accepting and starting a case, not running it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from temporalio.client import Client

from safeguard.auth import agencies
from safeguard.auth.agencies import AgencyKind, RateLimit
from safeguard.db.migrate import migrate
from safeguard.kafka.admin import create_topics
from safeguard.settings import Settings, StackPorts
from safeguard.stack import Stack
from safeguard.temporal import connect_temporal
from services.intake.openapi import SCHOOL_REFERRAL
from workflows.referral.models import ReferralWorkflowInput
from workflows.referral.workflows import ReferralWorkflow

TASK_QUEUE = "bench-intake"


@dataclass(frozen=True)
class Result:
    """Completed calls in a timed run and their latencies."""

    calls: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        """Calls per second."""
        return self.calls / self.seconds

    def percentile(self, p: int) -> float:
        """Latency percentile in milliseconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100)[p - 1] * 1000


def free_ports(count: int) -> list[int]:
    """Free loopback ports below the ephemeral range."""
    ports: set[int] = set()
    while len(ports) < count:
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.add(port)
    return sorted(ports)


async def drive(call: Callable[[int], Awaitable[None]], *, workers: int, seconds: float) -> Result:
    """Run `call` back to back from `workers` tasks for `seconds`."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            await call(next(counter))
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return Result(calls=len(latencies), seconds=time.perf_counter() - began, latencies=latencies)


def api_call(http: httpx.AsyncClient, token: str, run: str) -> Callable[[int], Awaitable[None]]:
    """One referral through the API; each a different person, with its own key."""

    async def call(n: int) -> None:
        form = {**SCHOOL_REFERRAL, "person": {**SCHOOL_REFERRAL["person"]}}
        form["person"]["given_names"] = f"Bench{run}{n}"
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{run}-{n}"}
        answer = await http.post("/v1/referrals", json=form, headers=headers)
        if answer.status_code != 201:
            raise RuntimeError(f"intake answered {answer.status_code}: {answer.text[:200]}")

    return call


def raw_call(client: Client, settings: Settings, run: str) -> Callable[[int], Awaitable[None]]:
    """One start_workflow with the input intake would send."""

    async def call(n: int) -> None:
        workflow_input = ReferralWorkflowInput(
            referral_id=uuid.uuid4(),
            reference=f"RAW-{run}-{n}",
            sector="education",
            concern_type="mixed_unclear_unstable",
            received_at=datetime.now(UTC),
            area="E08000003",
            date_of_birth=datetime(2010, 3, 14, tzinfo=UTC).date(),
            policy=settings.lifecycle,
        )
        await client.start_workflow(
            ReferralWorkflow.run,
            workflow_input,
            id=f"raw-{run}-{n}",
            task_queue=TASK_QUEUE,
            memo={"referral_id": str(workflow_input.referral_id)},
        )

    return call


async def start_intake(settings: Settings, port: int, logs: Path) -> asyncio.subprocess.Process:
    """The intake service in its own process, as `safeguard run` starts it."""
    env = os.environ | {
        "SAFEGUARD_DATA_DIR": str(settings.data_dir),
        "SAFEGUARD_STACK__POSTGRES": str(settings.stack.postgres),
        "SAFEGUARD_STACK__KAFKA": str(settings.stack.kafka),
        "SAFEGUARD_STACK__TEMPORAL": str(settings.stack.temporal),
        "SAFEGUARD_TEMPORAL_TASK_QUEUE": TASK_QUEUE,
        "SAFEGUARD_DATABASE_POOL_MAX": "20",
    }
    argv = [sys.executable, "-m", "uvicorn", "services.intake.app:create_app", "--factory"]
    argv += [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with logs.open("wb") as out:
        process = await asyncio.create_subprocess_exec(*argv, env=env, stdout=out, stderr=out)
    async with httpx.AsyncClient() as http:
        for _ in range(150):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/health/ready")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"intake did not start; see {logs}")


async def register_bench_client(settings: Settings) -> str:
    """A partner client whose limit the bench never reaches."""
    conn = await asyncpg.connect(settings.database_dsn())
    try:
        key = await agencies.register(
            conn,
            client_id="bench",
            name="Benchmark",
            kind=AgencyKind.PARTNER,
            area="E08000003",
            limit=RateLimit(per_minute=10_000_000, burst=100_000),
            key_lifetime=timedelta(days=1),
        )
    finally:
        await conn.close()
    return key.token


def report(level: int, api: Result, raw: Result) -> None:
    """One line of the results table."""
    print(
        f"{level:>5} | {api.rate:8.1f} {api.percentile(50):8.1f} {api.percentile(99):8.1f}"
        f" | {raw.rate:8.1f} {raw.percentile(50):8.1f} {raw.percentile(99):8.1f}"
        f" | {api.rate / raw.rate:6.2f}"
    )


async def measure(
    settings: Settings, url: str, token: str, levels: list[int], seconds: float
) -> None:
    """The table: API and raw start_workflow at each concurrency level."""
    client = await connect_temporal(settings)
    limits = httpx.Limits(max_connections=max(levels) * 2)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        await drive(api_call(http, token, "warm"), workers=4, seconds=2)
        await drive(raw_call(client, settings, "warm"), workers=4, seconds=1)
        print(f"{'':>5} | {'intake API':^26} | {'raw start_workflow':^26} |")
        print(
            f"{'conc':>5} | {'ref/s':>8} {'p50 ms':>8} {'p99 ms':>8} | {'wf/s':>8} {'p50 ms':>8}"
            f" {'p99 ms':>8} | {'ratio':>6}"
        )
        for level in levels:
            api = await drive(api_call(http, token, f"c{level}"), workers=level, seconds=seconds)
            raw = await drive(
                raw_call(client, settings, f"c{level}"), workers=level, seconds=seconds
            )
            report(level, api, raw)


async def main(levels: list[int], seconds: float) -> None:
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-intake-"))
    pg, kafka, controller, temporal, ui, intake_port = free_ports(6)
    ports = StackPorts(
        postgres=pg, kafka=kafka, kafka_controller=controller, temporal=temporal, temporal_ui=ui
    )
    settings = Settings(data_dir=root / "data", stack=ports, temporal_task_queue=TASK_QUEUE)
    # Intake needs no identity provider: Keycloak (now in the default set) stays out.
    stack = Stack(
        data_dir=settings.data_dir, ports=ports, components=("postgres", "kafka", "temporal")
    )
    process = None
    try:
        started = time.perf_counter()
        await stack.up()
        await migrate(settings.database_dsn())
        await create_topics(settings)
        token = await register_bench_client(settings)
        process = await start_intake(settings, intake_port, root / "intake.log")
        print(
            f"stack and intake up in {time.perf_counter() - started:.1f} s;"
            f" {seconds:.0f} s per measurement; ratio = API ref/s / raw wf/s\n"
        )
        await measure(settings, f"http://127.0.0.1:{intake_port}", token, levels, seconds)
    finally:
        if process is not None:
            process.terminate()
            await process.wait()
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    options = parser.parse_args()
    asyncio.run(main([int(n) for n in options.levels.split(",")], options.seconds))
