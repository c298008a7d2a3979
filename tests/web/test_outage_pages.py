"""The web front end during an outage: GOV.UK's "Sorry, the service is unavailable" page with
a 503 and Retry-After, whether an API it calls is down or its own database, and the same
process serving pages again once they are back."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Page
from temporalio.client import Client

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint
from safeguard.codes import Role
from safeguard.db.pool import create_pool
from safeguard.settings import Settings, WebSettings
from services.panel.app import create_app as panel_app
from services.web.app import create_app as web_app
from services.web.sessions import COOKIE, Session, SessionData, SessionStore, SignedIn
from tests.helpers import free_port
from tests.outage_checks import OUTAGE_LOGGER, assert_unavailable, uvicorn_logs
from tests.own_postgres import OwnPostgres, own_postgres
from tests.proxy import TcpProxy, proxy_to
from tests.servers import serve
from tests.web.browser import assert_accessible, heading
from tests.web.conftest import UNREACHABLE_ISSUER

UNAVAILABLE = "Sorry, the service is unavailable"
AREA = "E08000003"


@dataclass
class Outage:
    """The web front end and the panel API on a database of their own; the panel reaches it
    through a proxy, so either may lose it alone."""

    web: str
    database: OwnPostgres
    panel_link: TcpProxy
    cookie: str


@asynccontextmanager
async def running(settings: Settings, temporal: Client, data_dir: Path) -> AsyncIterator[Outage]:
    """The panel service and the site, and a chair's session on the site."""
    async with AsyncExitStack() as stack:
        database = await stack.enter_async_context(own_postgres(data_dir))
        link = await stack.enter_async_context(proxy_to(database.address))
        proxied = database.dsn.replace(database.address, link.address)
        panel = await stack.enter_async_context(
            serve(
                panel_app(
                    settings.model_copy(update={"database_url": proxied}),
                    temporal=temporal,
                    consume=False,
                )
            )
        )
        port = free_port()
        web = WebSettings(
            oidc_issuer=UNREACHABLE_ISSUER,
            public_url=f"http://127.0.0.1:{port}",
            assessment_url="http://127.0.0.1:9",
            panel_url=panel,
            audit_url="http://127.0.0.1:9",
        )
        site = settings.model_copy(update={"database_url": database.dsn, "web": web})
        url = await stack.enter_async_context(serve(web_app(site), port=port))
        yield Outage(url, database, link, await _chair_session(site))


async def _chair_session(settings: Settings) -> str:
    token = mint(
        development_signing_key(settings.data_dir),
        principal=StaffPrincipal(subject="chair-3", role=Role.CHANNEL_CHAIR, areas=(AREA,)),
        issuer=settings.staff_token_issuer,
        audience=settings.staff_token_audience,
        ttl_seconds=3600,
    )
    user = SignedIn(
        subject="chair-3",
        name="Chair Three",
        role=Role.CHANNEL_CHAIR.value,
        areas=[AREA],
        access_token=token,
        access_expires_at=datetime.now(UTC) + timedelta(hours=1),
        id_token="not-used-by-page-tests",
    )
    pool = await create_pool(settings)
    try:
        return await SessionStore(pool, settings.web).save(Session(None, SessionData(user=user)))
    finally:
        await pool.close()


def _assert_unavailable_page(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert int(answer.headers["retry-after"]) > 0
    assert UNAVAILABLE in answer.text
    assert "Traceback" not in answer.text


async def _page_is_accessible(page: Page, url: str) -> None:
    answer = await page.goto(url)
    assert answer is not None and answer.status == 503
    await heading(page, UNAVAILABLE)
    await assert_accessible(page)


async def test_an_outage_shows_the_unavailable_page_and_heals(
    settings: Settings,
    temporal_client: Client,
    tmp_path: Path,
    context: BrowserContext,
    page: Page,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with (
        running(settings, temporal_client, tmp_path / "postgres") as outage,
        httpx.AsyncClient(base_url=outage.web, cookies={COOKIE: outage.cookie}) as http,
    ):
        await context.add_cookies([{"name": COOKIE, "value": outage.cookie, "url": outage.web}])
        assert (await http.get("/panels")).status_code == 200
        with uvicorn_logs(caplog):
            caplog.clear()
            # The panel API loses its database: its 503 becomes the page.
            await outage.panel_link.cut()
            _assert_unavailable_page(await http.get("/panels"))
            await _page_is_accessible(page, f"{outage.web}/panels")
            # The site's own database goes too: no session can be read.
            await outage.database.stop()
            _assert_unavailable_page(await http.get("/panels"))
            assert_unavailable(await http.get("/health/ready"), "database")
            await _page_is_accessible(page, f"{outage.web}/panels")
            await outage.database.start()
            await outage.panel_link.resume()
            back = await http.get("/panels")
            assert back.status_code == 200, back.text
            assert (await http.get("/health/ready")).status_code == 200
            records = list(caplog.records)
    tracebacks = [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
    assert not tracebacks, [f"{r.name}: {r.getMessage()}" for r in tracebacks]
    # One outage each for the panel service and the site: each warned once, and said when over.
    mine = [r for r in records if r.name == OUTAGE_LOGGER]
    assert [r.levelno for r in mine].count(logging.WARNING) == 2, [r.getMessage() for r in mine]
    assert [r.levelno for r in mine].count(logging.INFO) == 2, [r.getMessage() for r in mine]
