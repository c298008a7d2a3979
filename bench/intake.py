"""Sustained referrals/s and p50/p99 latency through the intake API, beside raw start_workflow.

Starts its own PostgreSQL, Kafka and Temporal (temporary data dir, free ports) and the intake
service under uvicorn in its own process, as `safeguard run` does. For each concurrency level
it drives POST /v1/referrals for a fixed time, then raw `start_workflow` calls with the same
input on the same Temporal server; the ratio of the two throughputs is intake's overhead.
Intake answers once a referral commits and its starter starts the workflow just after, so a
second table gives the time from acceptance to the workflow's start, measured after each
level's backlog drained (and before its raw calls, which so run on an idle server).
No worker runs, so both measure accepting and starting a case, not running it.

`--encryption both` (the default) runs a second intake process with personal-field encryption
off (SAFEGUARD_FIELDS__ENCRYPT=false, its own database in the same PostgreSQL) and drives both
at each level in the same run, so the table shows what field encryption costs beside the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # the repository's tests package
import intake_starts  # noqa: E402
from summary import figure  # noqa: E402

from tests import synthetic  # noqa: E402
from workflows.referral.models import ReferralWorkflowInput  # noqa: E402
from workflows.referral.workflows import ReferralWorkflow  # noqa: E402

TASK_QUEUE = "bench-intake"
# People by the national shares of ../shared/domain.md, the same in both intakes and raw starts.
PEOPLE = synthetic.population(1_000)
# Slices per measurement of each intake (see `alternating`).
ROUNDS = 4


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
        form = synthetic.referral_form(PEOPLE[n % len(PEOPLE)])
        form["person"]["given_names"] = f"Bench{run}{n}"
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{run}-{n}"}
        answer = await http.post("/v1/referrals", json=form, headers=headers)
        if answer.status_code != 201:
            raise RuntimeError(f"intake answered {answer.status_code}: {answer.text[:200]}")

    return call


def raw_call(client: Client, settings: Settings, run: str) -> Callable[[int], Awaitable[None]]:
    """One start_workflow with the input intake would send."""

    async def call(n: int) -> None:
        person = PEOPLE[n % len(PEOPLE)]
        workflow_input = ReferralWorkflowInput(
            referral_id=uuid.uuid4(),
            reference=f"RAW-{run}-{n}",
            sector=person.sector,
            concern_type=person.concern_type,
            received_at=datetime.now(UTC),
            area="E08000003",
            date_of_birth=person.date_of_birth,
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


async def start_intake(
    settings: Settings,
    port: int,
    logs: Path,
    *,
    encrypt: bool = True,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """The intake service in its own process, as `safeguard run` starts it (one worker) or as
    compose and Kubernetes do (`--workers 2`); `extra_env` adds settings (bench/attachments'
    scanner and object store)."""
    env = (
        os.environ
        | {
            "SAFEGUARD_DATABASE_URL": settings.database_dsn(),
            "SAFEGUARD_FIELDS__ENCRYPT": str(encrypt).lower(),
            "SAFEGUARD_KAFKA_CONSUMER_GROUP_PREFIX": f"bench-{'sealed' if encrypt else 'plain'}",
            "SAFEGUARD_DATA_DIR": str(settings.data_dir),
            "SAFEGUARD_STACK__POSTGRES": str(settings.stack.postgres),
            "SAFEGUARD_STACK__KAFKA": str(settings.stack.kafka),
            "SAFEGUARD_STACK__TEMPORAL": str(settings.stack.temporal),
            "SAFEGUARD_TEMPORAL_TASK_QUEUE": TASK_QUEUE,
            "SAFEGUARD_DATABASE_POOL_MAX": "20",
        }
        | (extra_env or {})
    )
    argv = [sys.executable, "-m", "uvicorn", "services.intake.app:create_app", "--factory"]
    argv += [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
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
            read_limit=RateLimit(per_minute=10_000_000, burst=100_000),
        )
    finally:
        await conn.close()
    return key.token


@dataclass(frozen=True)
class Target:
    """One running intake: its label in the table, address, partner key and database."""

    label: str
    url: str
    token: str
    dsn: str


def _cells(result: Result) -> str:
    return f"{result.rate:8.1f} {result.percentile(50):8.1f} {result.percentile(99):8.1f}"


def report(level: int, apis: list[Result], raw: Result) -> None:
    """One line of the results table; with two intakes, the first's rate over the second's.
    The first intake's figures go to bench/all's summary."""
    figure(f"accepted, {level} callers", apis[0].rate, unit="ref/s", baseline=raw.rate)
    p99s = apis[0].percentile(99), raw.percentile(99)
    figure(f"p99, {level} callers", p99s[0], unit="ms", baseline=p99s[1], better="lower")
    cells = " | ".join(_cells(api) for api in [*apis, raw])
    ratios = f"{apis[0].rate / raw.rate:6.2f}"
    if len(apis) == 2:
        ratios += f" {apis[0].rate / apis[1].rate:6.2f}"
    print(f"{level:>5} | {cells} | {ratios}")


def header(targets: list[Target]) -> None:
    """The table's two header lines."""
    titles = [f"intake API, {t.label}" for t in targets] + ["raw start_workflow"]
    print(f"{'':>5} | " + " | ".join(f"{title:^26}" for title in titles) + " |")
    columns = [f"{'ref/s':>8} {'p50 ms':>8} {'p99 ms':>8}" for _ in targets]
    columns.append(f"{'wf/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    ratios = f"{'ratio':>6}" + (f" {'on/off':>6}" if len(targets) == 2 else "")
    print(f"{'conc':>5} | " + " | ".join(columns) + f" | {ratios}")


async def measure(
    settings: Settings, targets: list[Target], levels: list[int], seconds: float
) -> None:
    """The table: each intake's API and raw start_workflow at each concurrency level."""
    client = await connect_temporal(settings)
    limits = httpx.Limits(max_connections=max(levels) * 2)
    async with contextlib.AsyncExitStack() as stack:
        https = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=target.url, limits=limits, timeout=30)
            )
            for target in targets
        ]
        for http, target in zip(https, targets, strict=True):
            await drive(api_call(http, target.token, f"warm{target.label}"), workers=4, seconds=2)
        await drive(raw_call(client, settings, "warm"), workers=4, seconds=1)
        header(targets)
        lags: list[tuple[int, list[intake_starts.StartLag]]] = []
        for level in levels:
            # Intake stamps received_at from this machine's clock too.
            since = datetime.now(UTC)
            apis = await alternating(https, targets, level=level, seconds=seconds)
            lags.append(
                (
                    level,
                    await asyncio.gather(
                        *(intake_starts.start_lag(t.dsn, since=since) for t in targets)
                    ),
                )
            )
            raw = await drive(
                raw_call(client, settings, f"c{level}"), workers=level, seconds=seconds
            )
            report(level, apis, raw)
        intake_starts.header([t.label for t in targets])
        for level, lag in lags:
            intake_starts.report(level, lag)


async def alternating(
    https: list[httpx.AsyncClient], targets: list[Target], *, level: int, seconds: float
) -> list[Result]:
    """Each intake driven in ROUNDS slices, which goes first alternating, so a load that drifts
    on a shared machine falls on both alike."""
    parts: list[list[Result]] = [[] for _ in targets]
    for number in range(ROUNDS):
        order = list(range(len(targets)))
        for index in order if number % 2 == 0 else order[::-1]:
            run = f"c{level}{targets[index].label}r{number}"
            call = api_call(https[index], targets[index].token, run)
            parts[index].append(await drive(call, workers=level, seconds=seconds / ROUNDS))
    return [merged(found) for found in parts]


def merged(results: list[Result]) -> Result:
    """Slices of one measurement as one."""
    return Result(
        calls=sum(r.calls for r in results),
        seconds=sum(r.seconds for r in results),
        latencies=[latency for r in results for latency in r.latencies],
    )


async def plain_database(settings: Settings) -> Settings:
    """A second database for the intake without encryption, its references apart from the first.

    Both intakes start workflows on one Temporal server, whose ids come from references.
    """
    admin = await asyncpg.connect(settings.database_dsn())
    try:
        await admin.execute("CREATE DATABASE bench_plain")
    finally:
        await admin.close()
    plain = settings.model_copy(
        update={"database_url": settings.database_dsn().rsplit("/", 1)[0] + "/bench_plain"}
    )
    await migrate(plain.database_dsn())
    conn = await asyncpg.connect(plain.database_dsn())
    try:
        year = datetime.now(UTC).year
        await conn.executemany(
            "INSERT INTO intake.reference_counters (year, last_serial) VALUES ($1, 500000)",
            [(year,), (year + 1,)],
        )
    finally:
        await conn.close()
    return plain


async def start_targets(
    settings: Settings, encryption: str, ports: list[int], root: Path, workers: int
) -> tuple[list[Target], list[asyncio.subprocess.Process]]:
    """The intake processes `--encryption` asks for, each with a partner key."""
    modes = {"both": [True, False], "on": [True], "off": [False]}[encryption]
    targets, processes = [], []
    for encrypt, port in zip(modes, ports, strict=False):
        label = "encrypted" if encrypt else "plain"
        own = settings if encrypt else await plain_database(settings)
        token = await register_bench_client(own)
        processes.append(
            await start_intake(
                own, port, root / f"intake-{label}.log", encrypt=encrypt, workers=workers
            )
        )
        targets.append(Target(label, f"http://127.0.0.1:{port}", token, own.database_dsn()))
    return targets, processes


async def main(levels: list[int], seconds: float, encryption: str, workers: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-intake-"))
    pg, kafka, controller, temporal, ui, intake_port, plain_port = free_ports(7)
    ports = StackPorts(
        postgres=pg, kafka=kafka, kafka_controller=controller, temporal=temporal, temporal_ui=ui
    )
    settings = Settings(data_dir=root / "data", stack=ports, temporal_task_queue=TASK_QUEUE)
    # Intake needs no identity provider: Keycloak (now in the default set) stays out.
    stack = Stack(
        data_dir=settings.data_dir, ports=ports, components=("postgres", "kafka", "temporal")
    )
    processes: list[asyncio.subprocess.Process] = []
    try:
        started = time.perf_counter()
        await stack.up()
        await migrate(settings.database_dsn())
        await create_topics(settings)
        targets, processes = await start_targets(
            settings, encryption, [intake_port, plain_port], root, workers
        )
        print(
            f"stack and intake ({workers} worker process{'es' * (workers > 1)}) up in"
            f" {time.perf_counter() - started:.1f} s;"
            f" {seconds:.0f} s per measurement; ratio = API ref/s / raw wf/s;"
            " on/off = encrypted ref/s / plain ref/s\n"
        )
        await measure(settings, targets, levels, seconds)
    finally:
        for process in processes:
            process.terminate()
            await process.wait()
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    parser.add_argument(
        "--encryption",
        choices=["both", "on", "off"],
        default="both",
        help="personal-field encryption: both (side by side, same run), on or off",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="intake's uvicorn worker processes: 1 as `safeguard run`, 2 as compose and Kubernetes",
    )
    options = parser.parse_args()
    levels = [int(n) for n in options.levels.split(",")]
    asyncio.run(main(levels, options.seconds, options.encryption, options.workers))
