"""The audit service beside another service's tests: a case's merged timeline, read over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from temporalio.client import Client

from safeguard.settings import Settings
from services.audit.app import create_app
from tests.helpers import assert_eventually
from tests.servers import serve

Entry = dict[str, Any]


@asynccontextmanager
async def audit_service(settings: Settings, temporal: Client) -> AsyncIterator[str]:
    """The audit service (its consumer and archiver included) on loopback; its URL."""
    async with serve(create_app(settings, temporal=temporal)) as url:
        yield url


async def timeline_with(
    http: httpx.AsyncClient,
    audit_url: str,
    reference: str,
    auditor: dict[str, str],
    *actions: str,
    within: float = 30.0,
) -> list[Entry]:
    """The case's timeline once it holds every one of `actions` (its steps are logged at
    once, but the audit store hears of the case, and the workflow of a decision, a moment
    later)."""

    async def read() -> list[Entry]:
        answer = await http.get(
            f"{audit_url}/v1/cases/{reference}/timeline", headers=auditor, timeout=30
        )
        assert answer.status_code in (200, 404), answer.text
        found: list[Entry] = answer.json() if answer.status_code == 200 else []
        return found

    return await assert_eventually(
        read, lambda entries: set(actions) <= {e["action"] for e in entries}, within=within
    )


def only(entries: list[Entry], action: str) -> Entry:
    """The one entry of `action`."""
    found = [e for e in entries if e["action"] == action]
    assert len(found) == 1, (action, found)
    return found[0]


def assert_in_time_order(entries: list[Entry]) -> None:
    """Oldest first, whichever source each entry came from."""
    times = [datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times), [(e["at"], e["source"], e["action"]) for e in entries]


def actions_in_order(entries: list[Entry], *actions: str) -> list[str]:
    """`actions` as they stand in the timeline (each once, in its order)."""
    return [e["action"] for e in entries if e["action"] in actions]
