"""Running schemathesis with every check and every phase (stateful included) against a served
API, bounded in time."""

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


PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass(frozen=True)
class Run:
    """What a schemathesis run said: its exit status, its report, how many cases it sent, and
    how each phase ended (`success`, `skipped`, ...)."""

    returncode: int
    output: str
    cases: int
    phases: dict[str, str]


async def run_schemathesis(
    url: str,
    headers: dict[str, str],
    report_dir: Path,
    *,
    max_examples: int = MAX_EXAMPLES,
    paths: str | None = None,
) -> Run:
    """`st run` with all checks against `url`'s OpenAPI, every request carrying `headers`
    (only the operations whose path matches the regular expression `paths`, when given)."""
    report = report_dir / "schemathesis.json"
    process = await asyncio.create_subprocess_exec(
        os.path.join(os.path.dirname(sys.executable), "st"),
        *("--config-file", str(CONFIG), "run", f"{url}/openapi.json"),
        *("--checks", "all", "--max-examples", str(max_examples), "--seed", "4"),
        *(arg for name, value in headers.items() for arg in ("--header", f"{name}:{value}")),
        *("--phases", ",".join(PHASES), "--no-color", "--workers", "1"),
        *("--generation-database", "none", "--request-timeout", "10"),
        *("--report", "json", "--report-json-path", str(report)),
        *(("--include-path-regex", paths) if paths else ()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    (report_dir / "schemathesis.txt").write_bytes(output)
    found = json.loads(report.read_text()) if report.exists() else {}
    return Run(
        returncode=process.returncode or 0,
        output=output.decode(errors="replace"),
        cases=int(found.get("test_cases", {}).get("generated", 0)),
        phases={name: str(p["status"]) for name, p in (found.get("phases") or {}).items()},
    )
