"""Replaying recorded histories: the current code reproduces them; a changed workflow does not."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from temporalio.client import WorkflowHistory
from typer.testing import CliRunner

from safeguard.auth.staff import public_key_set
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


async def test_the_console_script_replays_with_the_workflow_code(
    audit: Audit, settings: Settings, tmp_path: Path
) -> None:
    reference, handle = await audit.open_case()
    await audit.close_with_no_further_action(handle)
    token = audit.headers()["Authorization"].removeprefix("Bearer ")
    replay = ["audit", "replay", reference, "--token", token, "--purpose", "annual audit"]
    environment = os.environ | {
        "SAFEGUARD_ENVIRONMENT": "test",
        "SAFEGUARD_DATA_DIR": str(tmp_path),
        "SAFEGUARD_DATABASE_URL": settings.database_dsn(),
        "SAFEGUARD_TEMPORAL_ADDRESS": audit.temporal.service_client.config.target_host,
        "SAFEGUARD_STAFF_JWKS": json.dumps(public_key_set(audit.key)),
    }
    # The installed `safeguard` script: its entry point hands the commands the workflow code.
    script = await asyncio.create_subprocess_exec(
        Path(sys.executable).parent / "safeguard",
        *replay,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await script.communicate()
    assert script.returncode == 0, err.decode()
    assert f"{handle.id} run " in out.decode()
    assert out.decode().rstrip().endswith(": deterministic")

    # The shared package's app alone has no workflow code to replay with, and says so.
    bare = await asyncio.to_thread(CliRunner().invoke, app, replay, env=environment)
    assert bare.exit_code == 2
    assert "needs the workflow code" in bare.output
