"""Replaying recorded histories: the current code reproduces them; a changed workflow does not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from typer.testing import CliRunner

from safeguard.audit.replaying import ReplayStream
from safeguard.cli.main import app
from safeguard.settings import Settings
from safeguard.temporal import data_converter_for
from tests.audit.conftest import Audit
from tests.audit.variant import ReferralWorkflowWithExtraTimer, journeys
from workflows.referral.replay import replay_runs, replayer_for
from workflows.referral.replay_bulk import in_processes, replaying_in_bulk

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


def _in_one_process() -> ReplayStream:
    return replaying_in_bulk(Settings(environment="test"))


def _in_two_processes() -> ReplayStream:
    # Two runs a chunk, so the runs are dealt to both processes.
    return in_processes(Settings(environment="test"), 2, chunk=2)


async def _each(runs: Sequence[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for run in runs:
        yield run


@pytest.mark.parametrize("stream", [_in_one_process, _in_two_processes])
async def test_a_stream_of_runs_replays_in_bulk_naming_the_one_that_differs(
    stream: Callable[[], ReplayStream],
) -> None:
    runs = journeys(7, edited=4)
    verdicts = [verdict async for verdict in stream()(_each(runs))]

    assert sorted(v.workflow_id for v in verdicts) == sorted(run.workflow_id for run in runs)
    assert all(v.events == len(runs[0].events) for v in verdicts)
    [failed] = [v for v in verdicts if not v.deterministic]
    assert failed.workflow_id == runs[4].workflow_id
    assert failed.failure is not None
    assert failed.failure.startswith("NondeterminismError: ")
    assert "scheduled event 'record_event_v0' does not match" in failed.failure


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
