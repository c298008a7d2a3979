"""The panel service while its PostgreSQL restarts: 503s with Retry-After, one warning, and
the same process serving again once the database is back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from safeguard.settings import Settings
from tests.outage_checks import assert_one_outage_logged, assert_unavailable, uvicorn_logs
from tests.own_postgres import own_postgres
from tests.panel.conftest import panel_settings, serve_panel
from tests.panel.driver import AREA, Staff

PANEL = {"area": AREA, "name": "Riverside Channel panel", "members": []}


async def test_a_database_restart_answers_503_and_heals_without_a_restart(
    settings: Settings,
    temporal_client: Client,
    staff: Staff,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with own_postgres(tmp_path / "postgres") as database:
        configured = panel_settings(settings, staff.key, "http://127.0.0.1:9").model_copy(
            update={"database_url": database.dsn}
        )
        async with (
            serve_panel(configured, temporal_client, consume=False) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            chair = staff.chair()
            assert (await http.post("/v1/panels", json=PANEL, headers=chair)).status_code == 201
            with uvicorn_logs(caplog):
                caplog.clear()
                await database.stop()
                # Requests at once and one after another, as under load.
                during = await asyncio.gather(
                    *(http.post("/v1/panels", json=PANEL, headers=chair) for _ in range(12))
                )
                during += [await http.get("/health/ready") for _ in range(3)]
                during += [await http.get("/v1/panels", headers=chair) for _ in range(3)]
                for answer in during:
                    assert_unavailable(answer, "database")
                await database.start()
                # The same process: no restart, the pool mends itself.
                again = await http.post("/v1/panels", json=PANEL, headers=chair)
                assert again.status_code == 201, again.text
                assert (await http.get("/health/ready")).status_code == 200
                records = list(caplog.records)
    assert_one_outage_logged(records)
