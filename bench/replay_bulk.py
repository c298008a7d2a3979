"""bench/replay_bulk: an auditor replaying a year of closed cases (about 9,000) from the archive.

The histories are real ones: each case follows bench/lifecycle's script for an outcome drawn
by the national shares (tests/synthetic.py) to its closure, recorded with time skipping and
cached outside the repository (bench/replay_histories.py). They are archived, closed across
one year, in a PostgreSQL of the benchmark's own; then, on the same archive:

* the previous way, as `safeguard audit replay-window` did it: case by case, each case's runs
  loaded and replayed through a replaying worker of its own (on `--baseline-cases` of them:
  at its rate the whole year takes most of an hour), and
* `safeguard audit replay-window --workers N`, the console script itself, for each N asked.

Each prints histories per second, wall time and the CPU seconds of all its processes.
`--record` below `--cases` reuses recorded histories under new workflow ids to make up the
number (replay does not depend on the id), and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from temporalio.client import WorkflowHistory

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from inbox import free_ports  # noqa: E402
from replay_histories import DEFAULT_CACHE, Recorded, read_cache, record  # noqa: E402
from summary import figure  # noqa: E402

from safeguard.audit import archive  # noqa: E402
from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint, public_key_set  # noqa: E402
from safeguard.codes import Role  # noqa: E402
from safeguard.db.migrate import migrate  # noqa: E402
from safeguard.settings import Settings, StackPorts  # noqa: E402
from safeguard.stack import Stack  # noqa: E402
from safeguard.temporal import data_converter_for  # noqa: E402
from workflows.referral.replay import replay_runs, replayer_for  # noqa: E402

START = datetime(2025, 4, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)


@dataclass
class Run:
    """One timed way of replaying."""

    label: str
    histories: int
    seconds: float
    cpu: float


def cpu_seconds() -> float:
    """User and system CPU of this process and every child process it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cases_of(recorded: list[Recorded], count: int) -> list[WorkflowHistory]:
    """`count` histories: the recorded ones, then recorded ones again under new ids."""
    histories = [r.history for r in recorded[:count]]
    for n in range(count - len(histories)):
        again = recorded[n % len(recorded)].history
        histories.append(WorkflowHistory(f"{again.workflow_id}-again-{n}", again.events))
    return histories


async def archive_year(conn: asyncpg.Connection, histories: list[WorkflowHistory]) -> None:
    """Each history a case closed in the year (evenly spread), archived as at its closure."""
    step = (END - START) / len(histories)
    async with conn.transaction():
        for n, history in enumerate(histories):
            referral_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO audit.cases (referral_id, reference, workflow_id, opened_at,"
                " closed_at) VALUES ($1, $2, $3, $4, $5)",
                referral_id,
                history.workflow_id.removeprefix("referral-"),
                history.workflow_id,
                START - timedelta(days=30),
                START + step * n,
            )
            await archive.store_runs(conn, referral_id, [history])


async def case_by_case(conn: asyncpg.Connection, count: int) -> Run:
    """The previous replay-window: each case's runs loaded, then replayed in a worker of
    their own."""
    replayer = replayer_for(data_converter_for(Settings(environment="test")))
    cases = await conn.fetch(
        "SELECT referral_id FROM audit.cases ORDER BY closed_at LIMIT $1", count
    )
    began, cpu = time.perf_counter(), cpu_seconds()
    for case in cases:
        verdicts = await replay_runs(replayer, await archive.load_runs(conn, case["referral_id"]))
        assert all(v.deterministic for v in verdicts), verdicts
    return Run("case by case (before)", count, time.perf_counter() - began, cpu_seconds() - cpu)


async def console(env: dict[str, str], workers: int, expected: int) -> Run:
    """`safeguard audit replay-window` over the year, as an auditor runs it."""
    began, cpu = time.perf_counter(), cpu_seconds()
    script = await asyncio.create_subprocess_exec(
        Path(sys.executable).parent / "safeguard",
        *("audit", "replay-window", "--from", f"{START:%Y-%m-%d}", "--to", f"{END:%Y-%m-%d}"),
        *("--workers", str(workers), "--purpose", "bench: a year's closed cases"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await script.communicate()
    seconds, used = time.perf_counter() - began, cpu_seconds() - cpu
    summary = out.decode().splitlines()[0] if out else ""
    if script.returncode != 0 or not summary.startswith(f"{expected} cases"):
        raise RuntimeError(f"replay-window failed ({script.returncode}): {out!r} {err!r}")
    plural = "es" if workers > 1 else ""
    return Run(f"replay-window, {workers} process{plural}", expected, seconds, used)


def console_env(settings: Settings, root: Path) -> dict[str, str]:
    """What the console script needs: the database, and an auditor's token it trusts."""
    key = development_signing_key(root / "staff")
    auditor = StaffPrincipal(subject="auditor-bench", role=Role.AUDITOR)
    token = mint(
        key, principal=auditor, issuer="safeguard-dev", audience="safeguard", ttl_seconds=7200
    )
    return os.environ | {
        "SAFEGUARD_ENVIRONMENT": "test",
        "SAFEGUARD_DATA_DIR": str(root),
        "SAFEGUARD_DATABASE_URL": settings.database_dsn(),
        "SAFEGUARD_STAFF_JWKS": json.dumps(public_key_set(key)),
        "SAFEGUARD_AUDITOR_TOKEN": token,
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }


def print_runs(runs: list[Run], cases: int) -> None:
    print(f"{'path':<34}{'histories':>10}{'wall s':>9}{'histories/s':>13}{'CPU s':>8}")
    for run in runs:
        rate = run.histories / run.seconds
        print(f"{run.label:<34}{run.histories:>10,}{run.seconds:>9.1f}{rate:>13.1f}{run.cpu:>8.1f}")
    before = runs[0].histories / runs[0].seconds
    print(f"\n{cases:,} cases at the rate before: {cases / before / 60:.1f} min")
    for run in runs[1:]:
        verdict = "under" if run.seconds < 300 else "OVER"
        print(
            f"{run.label}: {run.seconds / 60:.1f} min ({verdict} the 5-minute goal),"
            f" {run.histories / run.seconds / before:.1f}x the rate before"
        )
        figure(
            f"{run.label}, case by case as baseline",
            run.histories / run.seconds,
            unit="histories/s",
            baseline=before,
        )
        figure(
            f"{run.label}: a year of {cases:,} cases", run.seconds / 60, unit="min", better="lower"
        )


async def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    await record(args.cache, args.record, concurrency=args.record_concurrency)
    recorded = read_cache(args.cache)[: args.record]
    seconds = time.perf_counter() - began
    print(f"{len(recorded):,} closed cases recorded (cache {args.cache}, {seconds:.0f} s)")
    histories = cases_of(recorded, args.cases)
    events = sum(len(h.events) for h in histories)
    mix = Counter(r.outcome for r in recorded)
    print(
        f"{args.cases:,} cases ({args.cases - len(recorded):,} of them recorded ones again under"
        f" new ids), {events:,} events, {events / args.cases:.0f} a case; recorded outcomes: "
        + ", ".join(f"{k} {100 * n / len(recorded):.0f}%" for k, n in mix.most_common())
    )
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-replay-"))
    pg, kafka, controller = free_ports(3)
    ports = StackPorts(postgres=pg, kafka=kafka, kafka_controller=controller)
    settings = Settings(environment="test", data_dir=root / "data", stack=ports)
    stack = Stack(data_dir=settings.data_dir, ports=ports, components=("postgres",))
    try:
        await stack.up()
        await migrate(settings.database_dsn())
        conn = await asyncpg.connect(settings.database_dsn())
        began = time.perf_counter()
        await archive_year(conn, histories)
        seconds = time.perf_counter() - began
        print(f"archived in {seconds:.0f} s, closed {START:%Y-%m-%d} to {END:%Y-%m-%d}\n")
        runs = [await case_by_case(conn, min(args.baseline_cases, args.cases))]
        await conn.close()
        env = console_env(settings, root)
        for workers in args.workers:
            runs.append(await console(env, workers, args.cases))
        print_runs(runs, args.cases)
    finally:
        await stack.down()
        shutil.rmtree(root, ignore_errors=True)


def _counts(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=9_000, help="closed cases in the year")
    parser.add_argument("--record", type=int, help="distinct cases to record (default: --cases)")
    parser.add_argument("--baseline-cases", type=int, default=300, help="cases replayed before")
    parser.add_argument("--workers", type=_counts, default=[1, 2], help="e.g. 1,2")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--record-concurrency", type=int, default=16)
    arguments = parser.parse_args()
    arguments.record = min(arguments.record or arguments.cases, arguments.cases)
    asyncio.run(main(arguments))
    sys.stdout.flush()
    # The SDK's native runtime can abort during interpreter teardown; the figures are out.
    os._exit(0)
