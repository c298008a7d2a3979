"""Headline figures of a benchmark, for bench/all's summary table.

Each bench prints its own full report; it also hands its headline figures (each beside the
baseline measured in the same run, where it has one) to `figure`, which appends them as JSON
lines to the file named by SAFEGUARD_BENCH_SUMMARY when bench/all runs it, and does nothing
otherwise.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

SUMMARY = "SAFEGUARD_BENCH_SUMMARY"


@dataclass(frozen=True)
class Figure:
    """One headline figure: ours, the same run's baseline, and which way is better."""

    bench: str
    name: str
    unit: str
    ours: float
    baseline: float | None
    better: Literal["higher", "lower"]

    @property
    def ratio(self) -> float | None:
        """Ours over the baseline."""
        return self.ours / self.baseline if self.baseline else None


def figure(
    name: str,
    ours: float,
    *,
    unit: str,
    baseline: float | None = None,
    better: Literal["higher", "lower"] = "higher",
) -> None:
    """Note one headline figure for the summary (when bench/all asked for one)."""
    path = os.environ.get(SUMMARY)
    if not path:
        return
    bench = Path(sys.argv[0]).stem
    line = Figure(bench, name, unit, ours, baseline, better)
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(line)) + "\n")


def read(path: Path) -> list[Figure]:
    """The figures noted in `path`, in order."""
    if not path.exists():
        return []
    return [Figure(**json.loads(line)) for line in path.read_text().splitlines() if line]
