"""Kill each part of the running system under load: nothing is lost, done twice, or left down.

The real stack under `safeguard run`'s supervisor, as an operator runs it. `bench/chaos` runs
the same scenario and prints the figures.
"""

from __future__ import annotations

from pathlib import Path

from tests.chaos.faults import FAULTS
from tests.chaos.scenario import chaos, report


async def test_every_fault_heals_and_every_referral_goes_through_once(tmp_path: Path) -> None:
    run = await chaos(tmp_path / "chaos")
    print(report(run))  # noqa: T201 - the recovery times, for whoever reads the test's output
    assert [r.fault for r in run.recoveries] == list(FAULTS)
    assert run.counts.referrals >= 50
    assert run.unexpected() == {}, report(run)
    assert run.counts.not_once() == {}, report(run)
