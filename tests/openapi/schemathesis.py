"""Running schemathesis with every check against a served API, bounded in time."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path(__file__).with_name("schemathesis.toml")

# Small enough that the runs over every service stay within about two minutes of suite time;
# the coverage phase still sends each operation its boundary and malformed values.
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Run:
    """What a schemathesis run said: its exit status, its report, and how many cases it sent."""

    returncode: int
    output: str
    cases: int


async def run_schemathesis(
    url: str, headers: dict[str, str], report_dir: Path, *, max_examples: int = MAX_EXAMPLES
) -> Run:
    """`st run` with all checks against `url`'s OpenAPI, every request carrying `headers`."""
    report = report_dir / "schemathesis.json"
    process = await asyncio.create_subprocess_exec(
        os.path.join(os.path.dirname(sys.executable), "st"),
        *("--config-file", str(CONFIG), "run", f"{url}/openapi.json"),
        *("--checks", "all", "--max-examples", str(max_examples), "--seed", "4"),
        *(arg for name, value in headers.items() for arg in ("--header", f"{name}:{value}")),
        *("--phases", "examples,coverage,fuzzing", "--no-color", "--workers", "1"),
        *("--generation-database", "none", "--request-timeout", "10"),
        *("--report", "json", "--report-json-path", str(report)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    (report_dir / "schemathesis.txt").write_bytes(output)
    return Run(
        returncode=process.returncode or 0,
        output=output.decode(errors="replace"),
        cases=_cases(report),
    )


def _cases(report: Path) -> int:
    if not report.exists():
        return 0
    return int(json.loads(report.read_text())["test_cases"]["generated"])
