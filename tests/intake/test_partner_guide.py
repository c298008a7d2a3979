"""The partners' guide's worked client (docs/examples/referral_client.py), run as the guide
says against the intake service served for real."""

from __future__ import annotations

import ast
import asyncio
import os
import sys
from pathlib import Path

from tests.intake.conftest import Intake

CLIENT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "referral_client.py"


async def test_the_worked_client_submits_retries_and_reads_the_status(intake: Intake) -> None:
    key = intake.agency_a["Authorization"].removeprefix("Bearer ")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLIENT),
        env=os.environ | {"SAFEGUARD_INTAKE_URL": intake.url, "SAFEGUARD_API_KEY": key},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    printed = ast.literal_eval(out.decode())
    assert printed["reference"].startswith("PRV-")
    # Its case starts just after the 201: `received` (queued) until the starter has started it.
    assert printed["status"] in {"being_assessed", "received"}
    # The retry under the same Idempotency-Key made no second referral.
    assert await intake.count() == 1
