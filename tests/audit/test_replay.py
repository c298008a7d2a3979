"""Replaying recorded histories: the current code reproduces them; a changed workflow does not."""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import WorkflowHistory
from typer.testing import CliRunner

from safeguard.cli.main import app
from safeguard.settings import Settings
from safeguard.temporal import data_converter_for
from tests.audit.conftest import Audit
from tests.audit.variant import ReferralWorkflowWithExtraTimer
from workflows.referral.replay import replay_runs, replayer_for

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


async def test_the_console_script_replays_with_the_workflow_code(audit: Audit) -> None:
    reference, handle = await audit.open_case()
    await audit.close_with_no_further_action(handle)
    replay = ["audit", "replay", reference, "--token", audit.token(), "--purpose", "annual audit"]
    # The installed `safeguard` script: its entry point hands the commands the workflow code.
    code, out, err = await audit.console(*replay)
    assert code == 0, err
    assert f"{handle.id} run " in out
    assert out.rstrip().endswith(": deterministic")

    # The shared package's app alone has no workflow code to replay with, and says so.
    bare = await asyncio.to_thread(CliRunner().invoke, app, replay, env=audit.cli_env)
    assert bare.exit_code == 2
    assert "needs the workflow code" in bare.output
