"""Inbox and case-view latency through the assessment API, beside bare indexed SELECTs.

Starts its own PostgreSQL and Temporal (temporary data dir, free ports; no Kafka: the
assessment service runs without its consumer), COPYs 100,000 cases, their tasks and 1,000,000
events into the read model, then times, in one run:

* the inbox (`GET /v1/tasks`) for an officer's area and for a national auditor, beside the
  bare `SELECT` of the same page (same filter, order and limit, no count, no access log);
* the case view (`GET /v1/cases/{ref}`) of cases that are real: a running `ReferralWorkflow`
  (worker and intake in their own processes, as `safeguard run` starts them), the form in
  intake, two linked earlier referrals, ten events each in the read model; beside the bare
  read-model SELECTs of the view (case row, events, tasks), intake's internal API alone and the
  two Temporal queries alone; the live cases' events are projected into the read model as
  assessment's consumer would (their status is read from it while it is current), and the
  goal line times the case view, its SELECTs and the HTTP floor in turns: the view's p99 at
  most 3 times its SELECTs' plus the floor's (that figure goes to bench/all's summary);
* the HTTP floor (`/health/ready`: no token, one `SELECT 1`) and the officer's inbox at 4 and
  64 concurrent callers (requests per second and p99), with the issue's goals: the inbox's
  sequential p99 at most twice the floor's (the two timed in turns, so a machine busy with
  other work weighs on both alike), and its throughput at 64 callers no lower than at 4.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from inbox_data import Case, areas, load, make_cases  # noqa: E402
from inbox_project import project_live  # noqa: E402
from summary import figure  # noqa: E402

from safeguard.auth.service_identity import ServiceClient  # noqa: E402
from safeguard.auth.service_tokens import bearer, mint_service_token  # noqa: E402
from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set  # noqa: E402
from safeguard.codes import Role  # noqa: E402
from safeguard.db.migrate import migrate  # noqa: E402
from safeguard.settings import Settings, StackPorts  # noqa: E402
from safeguard.stack import Stack  # noqa: E402
from safeguard.temporal import connect_temporal  # noqa: E402
from services.intake.openapi import SCHOOL_REFERRAL  # noqa: E402
from workflows.referral.models import ReferralWorkflowInput  # noqa: E402
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for  # noqa: E402

TASK_QUEUE = "bench-inbox"
AREAS = 40
PURPOSE = {"X-Purpose": "benchmark"}
PAGE_SQL = (
    "SELECT id, referral_id, reference, kind, status, stage, area, due_at, assignee"
    " FROM assessment.tasks WHERE status = 'open' AND area = ANY($1::text[]) {extra}"
    " ORDER BY due_at ASC NULLS LAST, created_at, id LIMIT 50 OFFSET $2"
)


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


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


async def timed(call: Callable[[], Awaitable[None]], count: int, workers: int = 1) -> list[float]:
    """Latencies of `count` calls made by `workers` concurrent callers."""
    samples: list[float] = []
    remaining = iter(range(count))

    async def worker() -> None:
        for _ in remaining:
            start = time.perf_counter()
            await call()
            samples.append(time.perf_counter() - start)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return samples


def row(label: str, samples: list[float]) -> None:
    """One line of the results table."""
    p50, p99 = percentiles(samples)
    print(f"  {label:<58} {p50:8.2f} {p99:8.2f}")


def child_env(settings: Settings, extra: dict[str, str]) -> dict[str, str]:
    """Environment for the service and worker processes."""
    return (
        os.environ
        | {
            "SAFEGUARD_DATA_DIR": str(settings.data_dir),
            "SAFEGUARD_STACK__POSTGRES": str(settings.stack.postgres),
            "SAFEGUARD_STACK__TEMPORAL": str(settings.stack.temporal),
            # Nothing listens there: no process here needs Kafka for what is measured.
            "SAFEGUARD_STACK__KAFKA": str(settings.stack.kafka),
            "SAFEGUARD_TEMPORAL_TASK_QUEUE": TASK_QUEUE,
            "SAFEGUARD_DATABASE_POOL_MAX": "20",
            "PYTHONPATH": f"{Path.cwd()}:{Path.cwd() / 'bench'}",
        }
        | extra
    )


async def start(
    argv: list[str], env: dict[str, str], log: Path, ready: str | None
) -> asyncio.subprocess.Process:
    """Start a child process; wait for its readiness URL if it has one."""
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(*argv, env=env, stdout=out, stderr=out)
    if ready is None:
        return process
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                if (await http.get(ready)).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{argv[-1]} did not start; see {log}")


def uvicorn(app: str, port: int) -> list[str]:
    """argv of a service under uvicorn, as `safeguard run` starts it."""
    return [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1"] + [
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


async def make_live(
    conn: asyncpg.Connection[asyncpg.Record], client: Client, cases: list[Case], count: int
) -> list[Case]:
    """Give `count` open cases a form in intake, two linked referrals and a running workflow."""
    open_cases = [c for c in cases if c.stage == "GATEWAY_ASSESSMENT"][:count]
    closed = [c for c in cases if c.stage == "CLOSED"]
    for n, case in enumerate(open_cases):
        earlier = closed[2 * n : 2 * n + 2]
        for referral in [*earlier, case]:
            await conn.execute(
                "INSERT INTO intake.referrals (id, reference, received_at, sector, concern_type,"
                " form, workflow_id, workflow_started_at, area)"
                " VALUES ($1, $2, $3, 'education', 'mixed_unclear_unstable', $4::jsonb, $5,"
                " now(), $6)",
                referral.referral_id,
                referral.reference,
                referral.received_at,
                json.dumps(SCHOOL_REFERRAL),
                workflow_id_for(referral.reference),
                referral.area,
            )
        await conn.executemany(
            "INSERT INTO intake.referral_links (referral_id, linked_referral_id) VALUES ($1, $2)",
            [(case.referral_id, e.referral_id) for e in earlier],
        )
        await client.start_workflow(
            ReferralWorkflow.run,
            ReferralWorkflowInput(
                referral_id=case.referral_id,
                reference=case.reference,
                sector="education",
                concern_type="mixed_unclear_unstable",
                received_at=case.received_at,
                area=case.area,
                date_of_birth=datetime(2010, 3, 14, tzinfo=UTC).date(),
                linked_referral_ids=[e.referral_id for e in earlier],
            ),
            id=workflow_id_for(case.reference),
            task_queue=TASK_QUEUE,
        )
    for case in open_cases:
        handle = client.get_workflow_handle_for(
            ReferralWorkflow.run, workflow_id_for(case.reference)
        )
        for _ in range(300):
            if (await handle.query(ReferralWorkflow.status)).stage == "GATEWAY_ASSESSMENT":
                break
            await asyncio.sleep(0.1)
    return open_cases


def staff_token(key: dict[str, Any], role: Role, areas: tuple[str, ...]) -> dict[str, str]:
    """Headers for one staff member."""
    principal = StaffPrincipal(subject=f"{role.value}-1", role=role, areas=areas)
    token = mint(
        key, principal=principal, issuer="safeguard-dev", audience="safeguard", ttl_seconds=3600
    )
    return {"Authorization": f"Bearer {token}"} | PURPOSE


async def measure_inbox(
    http: httpx.AsyncClient, pool: asyncpg.Pool[asyncpg.Record], key: dict[str, Any], count: int
) -> None:
    """The inbox through HTTP beside the bare SELECT of the same page."""
    area = areas(AREAS)[7]
    officer = staff_token(key, Role.PREVENT_OFFICER, (area,))
    auditor = staff_token(key, Role.AUDITOR, ())
    every = areas(AREAS)
    shapes: list[tuple[str, dict[str, str], dict[str, Any], list[str], str, int]] = [
        ("officer, one area, first page", officer, {}, [area], "", 0),
        (
            "officer, one area, overdue only",
            officer,
            {"overdue": "true"},
            [area],
            "AND due_at < now()",
            0,
        ),
        ("officer, one area, page at offset 400", officer, {"offset": 400}, [area], "", 400),
        ("auditor, all 40 areas, first page", auditor, {}, every, "", 0),
    ]
    print(f"\ninbox, {count} sequential requests each    {'p50 ms':>8} {'p99 ms':>8}")
    row(
        "GET /health/ready (HTTP floor: no token, one SELECT 1)",
        await timed(lambda: _get(http, "/health/ready", {}), count),
    )
    for label, headers, params, scope, extra, offset in shapes:
        sql = PAGE_SQL.format(extra=extra)

        async def api(headers: dict[str, str] = headers, params: dict[str, Any] = params) -> None:
            answer = await http.get("/v1/tasks", params=params, headers=headers)
            answer.raise_for_status()

        async def bare(sql: str = sql, scope: list[str] = scope, offset: int = offset) -> None:
            async with pool.acquire() as conn:
                await conn.fetch(sql, scope, offset)

        page = (await http.get("/v1/tasks", params=params, headers=headers)).json()
        async with pool.acquire() as conn:
            same = [str(r["id"]) for r in await conn.fetch(sql, scope, offset)]
        assert [item["id"] for item in page["items"]] == same, label
        row(f"{label} (HTTP, total {page['total']})", await timed(api, count))
        row(f"{label} (bare SELECT)", await timed(bare, count))
    api_8 = await timed(lambda: _get(http, "/v1/tasks", officer), count * 2, workers=8)
    row("officer, one area, first page (HTTP, 8 concurrent)", api_8)
    await sequential_goal(http, key, count)


async def measure_load(http: httpx.AsyncClient, key: dict[str, Any], count: int) -> None:
    """Throughput and p99 of the floor and the inbox at 4 and 64 callers, and the goals."""
    officer = staff_token(key, Role.PREVENT_OFFICER, (areas(AREAS)[7],))
    calls = {
        "GET /health/ready (HTTP floor)": lambda: _get(http, "/health/ready", {}),
        "inbox, officer, one area, first page": lambda: _get(http, "/v1/tasks", officer),
    }
    print(f"\nunder load, {count * 2} requests each    {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    rates: dict[tuple[str, int], float] = {}
    for label, call in calls.items():
        for callers in (4, 64):
            began = time.perf_counter()
            samples = await timed(call, count * 2, workers=callers)
            rates[label, callers] = len(samples) / (time.perf_counter() - began)
            p50, p99 = percentiles(samples)
            print(
                f"  {label + f', {callers} callers':<50} {rates[label, callers]:8.1f}"
                f" {p50:8.2f} {p99:8.2f}"
            )
    inbox = list(calls)[1]
    print(
        f"  inbox req/s at 64 / at 4 callers: {rates[inbox, 64] / rates[inbox, 4]:.2f}"
        " (goal: at least 1.00)"
    )
    figure(
        "inbox req/s, 64 callers, 4 as baseline",
        rates[inbox, 64],
        unit="req/s",
        baseline=rates[inbox, 4],
    )


async def sequential_goal(http: httpx.AsyncClient, key: dict[str, Any], count: int) -> None:
    """The goal line: the inbox's sequential p99 against the HTTP floor's, measured in turns
    (floor, inbox, floor, ...) so that both see the same machine, however busy it is."""
    officer = staff_token(key, Role.PREVENT_OFFICER, (areas(AREAS)[7],))
    floor: list[float] = []
    inbox: list[float] = []
    for _ in range(count):
        for path, headers, samples in (
            ("/health/ready", {}, floor),
            ("/v1/tasks", officer, inbox),
        ):
            began = time.perf_counter()
            await _get(http, path, headers)
            samples.append(time.perf_counter() - began)
    print(f"\nin turns, {count} requests each               {'p50 ms':>8} {'p99 ms':>8}")
    row("GET /health/ready (HTTP floor)", floor)
    row("inbox, officer, one area, first page", inbox)
    ratio = percentiles(inbox)[1] / percentiles(floor)[1]
    print(f"  inbox p99 / HTTP floor p99, sequential: {ratio:.2f} (goal: at most 2.00)")
    figure(
        "inbox p99, sequential, HTTP floor as baseline",
        percentiles(inbox)[1],
        unit="ms",
        baseline=percentiles(floor)[1],
        better="lower",
    )


async def _get(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    answer = await http.get(path, headers=headers)
    answer.raise_for_status()


async def measure_case_view(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool[asyncpg.Record],
    client: Client,
    intake_url: str,
    keys: tuple[dict[str, Any], dict[str, Any]],
    live: list[Case],
    count: int,
) -> None:
    """The case view through HTTP beside its parts: read-model SELECTs, intake, Temporal."""
    rng = random.Random(7)
    key, service_key = keys
    headers = {case.area: staff_token(key, Role.PREVENT_OFFICER, (case.area,)) for case in live}

    def pick() -> Case:
        return rng.choice(live)

    async def api(params: dict[str, str] | None = None) -> None:
        case = pick()
        answer = await http.get(
            f"/v1/cases/{case.reference}", params=params, headers=headers[case.area]
        )
        answer.raise_for_status()
        assert not answer.json()["gaps"], answer.json()["gaps"]

    async def fresh() -> None:
        await api({"fresh": "true"})

    async def bare() -> None:
        case = pick()
        async with pool.acquire() as conn:
            await conn.fetchrow(
                "SELECT c.*, s.sequence AS recorded_sequence FROM assessment.cases c"
                " LEFT JOIN messaging.case_sequences s USING (referral_id) WHERE c.reference = $1",
                case.reference,
            )
            await conn.fetch(
                "SELECT event_id, type, time, data FROM assessment.case_events"
                " WHERE referral_id = $1 ORDER BY time, event_id",
                case.referral_id,
            )
            await conn.fetch(
                "SELECT * FROM assessment.tasks WHERE referral_id = $1", case.referral_id
            )

    # Assessment's own development token, signed by the key of the services' data dir.
    intake_headers = bearer(
        mint_service_token(
            service_key,
            client=ServiceClient.ASSESSMENT,
            audience="safeguard-internal",
            ttl_seconds=3600,
        )
    )

    async def intake() -> None:
        answer = await http.get(
            f"{intake_url}/internal/v1/referrals/{pick().referral_id}", headers=intake_headers
        )
        answer.raise_for_status()

    async def temporal() -> None:
        handle = client.get_workflow_handle_for(
            ReferralWorkflow.run, workflow_id_for(pick().reference)
        )
        await asyncio.gather(
            handle.query(ReferralWorkflow.status), handle.query(ReferralWorkflow.decisions)
        )

    sample = (
        await http.get(f"/v1/cases/{live[0].reference}", headers=headers[live[0].area])
    ).json()
    print(
        f"\ncase view of {len(live)} live cases ({len(sample['chronology'])} chronology entries,"
        f" {len(sample['linked_referrals'])} linked), {count} sequential requests each"
    )
    print(f"  {'':<58} {'p50 ms':>8} {'p99 ms':>8}")
    row("case view (HTTP: read model + intake + access log)", await timed(api, count))
    row("  its read-model part (bare SELECTs: case, events, tasks)", await timed(bare, count))
    row("  intake GET /internal/v1/referrals/{id} alone", await timed(intake, count))
    row("  Temporal status + decisions queries alone", await timed(temporal, count))
    row("case view (HTTP, 8 concurrent)", await timed(api, count * 2, workers=8))
    await case_view_goal(http, (api, fresh, bare), count)


async def case_view_goal(
    http: httpx.AsyncClient,
    views: tuple[Callable[[], Awaitable[None]], ...],
    count: int,
) -> None:
    """The goal line: the case view's sequential p99 against three times its read-model
    SELECTs' plus the HTTP floor's, timed in turns with the view that asks Temporal
    (`?fresh=true`, as every view did before the read model held the status), so a busy
    machine weighs on all alike."""
    api, fresh, bare = views
    floor: list[float] = []
    view: list[float] = []
    asked: list[float] = []
    selects: list[float] = []
    calls: list[tuple[Callable[[], Awaitable[None]], list[float]]] = [
        (lambda: _get(http, "/health/ready", {}), floor),
        (api, view),
        (fresh, asked),
        (bare, selects),
    ]
    for _ in range(count):
        for call, samples in calls:
            began = time.perf_counter()
            await call()
            samples.append(time.perf_counter() - began)
    print(f"\nin turns, {count} requests each               {'p50 ms':>8} {'p99 ms':>8}")
    row("GET /health/ready (HTTP floor)", floor)
    row("case view", view)
    row("case view, ?fresh=true (asks Temporal)", asked)
    row("its read-model SELECTs", selects)
    bound = 3 * percentiles(selects)[1] + percentiles(floor)[1]
    ours = percentiles(view)[1]
    print(
        f"  case view p99 / (3 x read-model SELECTs p99 + HTTP floor p99), sequential:"
        f" {ours / bound:.2f} (goal: at most 1.00)"
    )
    figure("case view p99, sequential", ours, unit="ms", baseline=bound, better="lower")
    p50s = percentiles(view)[0], percentiles(asked)[0]
    print(f"  case view p50 / the same asking Temporal p50: {p50s[0] / p50s[1]:.2f}")


async def main(
    cases_count: int, requests: int, live_count: int, case_view: bool, inbox: bool = True
) -> None:
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-inbox-"))
    pg, kafka, controller, temporal_port, ui, intake_port, app_port, m1, m2 = free_ports(9)
    ports = StackPorts(
        postgres=pg,
        kafka=kafka,
        kafka_controller=controller,
        temporal=temporal_port,
        temporal_ui=ui,
    )
    settings = Settings(data_dir=root / "data", stack=ports, temporal_task_queue=TASK_QUEUE)
    stack = Stack(data_dir=settings.data_dir, ports=ports, components=("postgres", "temporal"))
    key = development_signing_key(root / "staff")
    children: list[asyncio.subprocess.Process] = []
    try:
        began = time.perf_counter()
        await stack.up()
        await migrate(settings.database_dsn())
        print(f"PostgreSQL and Temporal up in {time.perf_counter() - began:.1f} s")
        conn = await asyncpg.connect(settings.database_dsn())
        rng = random.Random(42)
        cases = make_cases(cases_count, areas(AREAS), rng)
        began = time.perf_counter()
        await load(conn, cases)
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM assessment.cases) AS cases,"
            " (SELECT count(*) FROM assessment.case_events) AS events,"
            " (SELECT count(*) FROM assessment.tasks) AS tasks,"
            " (SELECT count(*) FROM assessment.tasks WHERE status = 'open') AS open"
        )
        assert counts is not None
        print(
            f"COPY {counts['cases']:,} cases, {counts['events']:,} events, {counts['tasks']:,}"
            f" tasks ({counts['open']:,} open, {AREAS} areas)"
            f" in {time.perf_counter() - began:.1f} s"
        )
        env = child_env(
            settings,
            {
                "SAFEGUARD_STAFF_JWKS": json.dumps(public_key_set(key)),
                "SAFEGUARD_INTAKE_INTERNAL_URL": f"http://127.0.0.1:{intake_port}",
                "SAFEGUARD_TELEMETRY__WORKER_METRICS_PORT": str(m1),
                "SAFEGUARD_TELEMETRY__TEMPORAL_METRICS_PORT": str(m2),
            },
        )
        children.append(
            await start(
                [sys.executable, "-m", "workflows.referral.worker"], env, root / "worker.log", None
            )
        )
        children.append(
            await start(
                uvicorn("services.intake.app:create_app", intake_port),
                env,
                root / "intake.log",
                f"http://127.0.0.1:{intake_port}/health/ready",
            )
        )
        children.append(
            await start(
                uvicorn("inbox_app:create_app", app_port),
                env,
                root / "assessment.log",
                f"http://127.0.0.1:{app_port}/health/ready",
            )
        )
        client = await connect_temporal(settings)
        began = time.perf_counter()
        live = await make_live(conn, client, cases, live_count if case_view else 0)
        await conn.close()
        projected = await project_live(settings, live)
        print(
            f"{len(live)} live cases (workflow, form, 2 linked referrals; {projected} events"
            f" projected) in {time.perf_counter() - began:.1f} s"
        )
        pool = await asyncpg.create_pool(settings.database_dsn(), min_size=2, max_size=8)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{app_port}", timeout=30) as http:
            officer = staff_token(key, Role.PREVENT_OFFICER, (areas(AREAS)[7],))
            await timed(lambda: _get(http, "/v1/tasks", officer), 50)  # warm up
            if inbox:
                await measure_inbox(http, pool, key, requests)
                await measure_load(http, key, requests)
            if case_view:
                await measure_case_view(
                    http,
                    pool,
                    client,
                    f"http://127.0.0.1:{intake_port}",
                    (key, development_signing_key(settings.data_dir)),
                    live,
                    requests,
                )
        await pool.close()
    finally:
        for child in children:
            child.terminate()
            await child.wait()
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the read model")
    parser.add_argument("--requests", type=int, default=500, help="requests per measurement")
    parser.add_argument("--live", type=int, default=50, help="cases with a running workflow")
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--inbox-only", action="store_true", help="time the inbox alone, not the case view"
    )
    only.add_argument(
        "--case-view-only", action="store_true", help="time the case view alone, not the inbox"
    )
    options = parser.parse_args()
    asyncio.run(
        main(
            options.cases,
            options.requests,
            options.live,
            case_view=not options.inbox_only,
            inbox=not options.case_view_only,
        )
    )
