"""One facts filler asks intake at a time, however many processes run the service (uvicorn
workers, replicas): the others wait, and one takes over when the active one stops."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from safeguard.auth.staff import development_signing_key, public_key_set
from safeguard.settings import Settings, StatisticsSettings
from services.statistics.app import create_app
from services.statistics.facts import FactsFiller
from tests.helpers import assert_eventually
from tests.servers import serve


def _counted(filler: FactsFiller, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many batches `filler` has looked for (one element, counted as it goes)."""
    calls = [0]
    original = filler.fill_once

    async def fill_once() -> int:
        calls[0] += 1
        return await original()

    monkeypatch.setattr(filler, "fill_once", fill_once)
    return calls


async def test_one_filler_is_active_and_another_takes_over_when_it_stops(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = settings.model_copy(
        update={
            "staff_jwks": SecretStr(json.dumps(public_key_set(development_signing_key(tmp_path)))),
            # No referral is pending, so neither filler calls intake.
            "intake_internal_url": "http://127.0.0.1:1",
            "statistics": StatisticsSettings(facts_poll_seconds=0.05),
        }
    )
    apps = [create_app(ours), create_app(ours)]
    async with contextlib.AsyncExitStack() as first, contextlib.AsyncExitStack() as second:
        stacks = [first, second]
        for app, stack in zip(apps, stacks, strict=True):
            await stack.enter_async_context(serve(app))
        fillers: list[FactsFiller] = [app.state.facts for app in apps]
        calls = [_counted(f, monkeypatch) for f in fillers]

        await asyncio.sleep(1.0)  # about twenty polls for a filler that is active
        active = [n for n, c in enumerate(calls) if c[0]]
        assert len(active) == 1, [c[0] for c in calls]
        (leader,) = active
        other = 1 - leader
        assert fillers[leader].leading and not fillers[other].leading

        await stacks[leader].aclose()  # the active process stops; its lock goes with it

        async def takes_over() -> bool:
            return fillers[other].leading

        await assert_eventually(takes_over, within=10)
        before = calls[other][0]

        async def asked() -> int:
            return calls[other][0]

        await assert_eventually(asked, lambda n: n > before)
