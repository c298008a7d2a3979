"""bench/chaos: the whole system under `safeguard run`, each part SIGKILLed in turn under load.

For each fault: seconds until a referral sent after the kill is accepted and until it has been
through every stage (workflow, officer task, acknowledgement sent), until every process is back
and healthy, and the submissions refused meanwhile. The baseline ("none") is the same
measurement with nothing killed, in the same run. Then whether every referral the server accepted
went through each stage exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from summary import figure  # noqa: E402

from tests.chaos.faults import FAULTS  # noqa: E402
from tests.chaos.scenario import ChaosRun, chaos, report  # noqa: E402


def summarise(run: ChaosRun) -> None:
    """Seconds until a referral is processed again after each fault, beside no fault."""
    for r in run.recoveries:
        figure(
            f"{r.fault} killed: processing again",
            r.processed_after,
            unit="s",
            baseline=run.baseline.processed_after,
            better="lower",
        )


def main() -> None:
    """Run once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faults", nargs="+", choices=FAULTS, default=list(FAULTS))
    parser.add_argument("--keep", type=Path, help="Keep the run's data and logs here.")
    args = parser.parse_args()
    if args.keep is not None:
        run = asyncio.run(chaos(args.keep, faults=tuple(args.faults)))
    else:
        with tempfile.TemporaryDirectory(prefix="safeguard-chaos-") as scratch:
            run = asyncio.run(chaos(Path(scratch), faults=tuple(args.faults)))
    print(report(run))  # noqa: T201 - a benchmark prints its figures
    summarise(run)
    if run.unexpected() or run.counts.not_once():
        sys.exit(1)


if __name__ == "__main__":
    main()
