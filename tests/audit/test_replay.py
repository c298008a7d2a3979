"""Replaying recorded histories: the current code reproduces them; a changed workflow does not."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory

from safeguard.audit.replay import replay_runs, replayer_for
from safeguard.settings import Settings
from safeguard.temporal import data_converter_for
from tests.audit.variant import ReferralWorkflowWithExtraTimer

HISTORY = Path(__file__).parent.parent / "workflow" / "histories" / "journey_v1.json"


def _journey() -> WorkflowHistory:
    return WorkflowHistory.from_json("referral-journey", HISTORY.read_text())


async def test_the_current_code_replays_a_recorded_journey() -> None:
    converter = data_converter_for(Settings(environment="test"))
    [verdict] = await replay_runs(replayer_for(converter), [_journey()])
    assert verdict.deterministic, verdict.failure
    assert verdict.events == len(_journey().events)


async def test_a_non_deterministic_change_is_caught() -> None:
    converter = data_converter_for(Settings(environment="test"))
    replayer = replayer_for(converter, workflows=[ReferralWorkflowWithExtraTimer])
    [verdict] = await replay_runs(replayer, [_journey()])
    assert not verdict.deterministic
    assert verdict.failure is not None and "Nondeterminism" in verdict.failure
