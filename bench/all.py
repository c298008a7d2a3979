"""bench/all: every benchmark in turn, then one table of their headline figures.

Each bench runs as its own process (as `bench/<name>` would run it) with its output kept in
the results directory; the table gives each headline figure beside the baseline measured in
the same run and their ratio, with the date, the commit and the machine, so the figures quoted
in the documentation come from one run. `--quick` gives each bench small sizes (a check that
they all still run, not figures to quote).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from summary import SUMMARY, Figure, read  # noqa: E402

ROOT = Path(__file__).parent.parent
# In the order they run: the stack's own costs first, then each path a case takes.
BENCHES: dict[str, list[str]] = {
    "stack_start": [],
    "events": [],
    "intake": [],
    "inbox": [],
    "lifecycle": [],
    "replay": [],
    "replay_bulk": [],
    "audit": [],
    "web": [],
    "statistics": [],
    "attachments": [],
    "chaos": [],
}
QUICK: dict[str, list[str]] = {
    "intake": ["--levels", "1,8,32", "--seconds", "3"],
    "inbox": ["--cases", "10000", "--requests", "200"],
    "lifecycle": ["--referrals", "300"],
    "replay": ["--seconds", "5"],
    "replay_bulk": ["--cases", "300", "--baseline-cases", "50", "--workers", "2"],
    "audit": ["--cases", "5000", "--requests", "200", "--entries", "100000", "--rounds", "1"],
    "web": ["--cases", "5000", "--requests", "100", "--no-browser"],
    "statistics": ["--referrals", "3000", "--requests", "20"],
    "attachments": ["--small", "20", "--large", "3", "--at-once", "3"],
    "chaos": ["--faults", "worker"],
}


# A bench whose name is a standard library module's has its Python under another name (a
# bench/statistics.py would shadow `statistics` for the other benches and for mypy).
PYTHON_FILE = {"statistics": "statistics_run.py"}


def run(name: str, args: list[str], results: Path, summary: Path) -> tuple[int, float]:
    """One bench as its own process, its output kept; its exit status and wall time."""
    log = results / f"{name}.txt"
    env = os.environ | {SUMMARY: str(summary)}
    began = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.run(  # noqa: S603 - our own scripts
            [sys.executable, str(ROOT / "bench" / PYTHON_FILE.get(name, f"{name}.py")), *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    return process.returncode, time.perf_counter() - began


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"


def table(figures: list[Figure], outcomes: dict[str, tuple[int, float]]) -> str:
    """The summary: every headline figure beside its baseline, then each bench's status."""
    width = max([len(f"{f.bench}: {f.name}") for f in figures] + [20])
    lines = [f"{'figure':<{width}} {'unit':<10} {'ours':>10} {'baseline':>10} {'ratio':>7}"]
    for f in figures:
        label = f"{f.bench}: {f.name}"
        lines.append(
            f"{label:<{width}} {f.unit:<10} {_number(f.ours):>10}"
            f" {_number(f.baseline):>10} {_number(f.ratio):>7}"
        )
    lines.append("")
    for name, (code, seconds) in outcomes.items():
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        lines.append(f"{name:<12} {status:<18} {seconds:7.0f} s")
    return "\n".join(lines)


def header(quick: bool) -> str:
    """When, which commit, on what."""
    commit = subprocess.run(  # noqa: S603 - git, with our own arguments
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    memory = psutil.virtual_memory().total / 2**30
    kind = "quick sizes: a check, not figures to quote" if quick else "full sizes"
    # Other work on the machine skews every figure: the load says whether it was quiet.
    load = os.getloadavg()[1]
    return (
        f"bench/all {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'},"
        f" {os.cpu_count()} CPUs, {memory:.0f} GiB, load {load:.2f} (5 min) ({kind})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: check they all run")
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), help="run only these")
    parser.add_argument("--results", type=Path, help="keep each bench's output here")
    args = parser.parse_args()
    results = args.results or Path(tempfile.mkdtemp(prefix="safeguard-bench-all-"))
    results.mkdir(parents=True, exist_ok=True)
    summary = results / "summary.jsonl"
    summary.unlink(missing_ok=True)
    outcomes: dict[str, tuple[int, float]] = {}
    print(header(args.quick), flush=True)
    for name in args.only or list(BENCHES):
        extra = QUICK.get(name, []) if args.quick else BENCHES[name]
        print(f"running bench/{name} {' '.join(extra)}".rstrip(), flush=True)
        outcomes[name] = run(name, extra, results, summary)
    print(f"\n{header(args.quick)}\n{table(read(summary), outcomes)}")
    print(f"\neach bench's full output: {results}/<bench>.txt")
    return 0 if all(code == 0 for code, _ in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
