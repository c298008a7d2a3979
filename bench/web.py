"""Staff web pages' latency beside the assessment API call each makes, and a first visit's bytes.

Starts its own PostgreSQL and Temporal (temporary data dir, free ports; no Kafka, no identity
provider), COPYs a read model with bench/inbox's seeding (`--cases`, 20,000 by default: 40
areas, ~130 open tasks in an officer's one area), gives `--live` gateway-assessment cases a
running `ReferralWorkflow`, a form in intake and two linked referrals (as bench/inbox does for
the case view), and runs the worker, intake, assessment and the web front end as separate
processes. The web front end gets a server-side session put in place through `SessionStore`,
holding a development-key access token, as tests/web/staff.py does.

Then, in one run, with 1 and with 8 concurrent callers:

* the inbox page `GET /tasks` beside the call it makes, `GET /v1/tasks?limit=20&offset=0&
  sort=due_at` (same token, same X-Purpose);
* the case page `GET /cases/{ref}?purpose=gateway-assessment` beside `GET /v1/cases/{ref}`
  (same token, X-Purpose "gateway assessment"), over the live cases in the same random order.

Beside them, sequentially, the floors the ratio is made of: each process's `GET /health/live`
and the web front end's `GET /` as the officer (session load and user, a 303 to /tasks: no
render, no API call). Each pair is timed ABBA (half the API's requests, all the page's in two
halves, the API's other half) so drift on the shared machine falls on both. The ratio page/API
and the difference are the cost of the session, the render and the extra hop.

Last, the bytes of a first visit to the inbox: its HTML and every asset the HTML links
(stylesheets, module scripts and their static imports, the favicon) and the stylesheets'
`url(...)`s a browser takes (the first source of each `@font-face`, images), uncompressed and
as gzip would send the text ones; and of a second visit, given each asset's Cache-Control. If
Chromium is installed, a real browser's first and second visit are counted too (CDP's bytes on
the wire, from cache or not).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from inbox import (  # noqa: E402
    AREAS,
    TASK_QUEUE,
    child_env,
    free_ports,
    make_live,
    start,
    timed,
    uvicorn,
)
from inbox_data import Case, areas, load, make_cases  # noqa: E402
from summary import figure  # noqa: E402

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint  # noqa: E402
from safeguard.codes import Role  # noqa: E402
from safeguard.db.migrate import migrate  # noqa: E402
from safeguard.db.pool import create_pool  # noqa: E402
from safeguard.settings import Settings, StackPorts  # noqa: E402
from safeguard.stack import Stack  # noqa: E402
from safeguard.temporal import connect_temporal  # noqa: E402
from services.web.deps import PURPOSES  # noqa: E402
from services.web.sessions import COOKIE, Session, SessionData, SessionStore, SignedIn  # noqa: E402
from services.web.views.tasks import inbox_params  # noqa: E402

# Page tests use the same: nothing answers there, and no page measured here signs anyone in.
UNREACHABLE_ISSUER = "http://127.0.0.1:9/realms/none"
INBOX_PURPOSE = "task inbox"  # what services/web/views/tasks.py sends
CASE_PURPOSE_KEY = "gateway-assessment"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
BROWSER_HEADERS = {"accept-encoding": "gzip, deflate, br"}


@dataclass(frozen=True)
class Officer:
    """A signed-in officer: the web session's cookie and the API headers of the same token."""

    cookie: dict[str, str]
    token: str


def quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


async def sign_in(
    store: SessionStore, settings: Settings, key: dict[str, Any], areas: tuple[str, ...]
) -> Officer:
    """A session holding a development-key access token, as tests/web/staff.py makes one."""
    subject = f"officer-{'-'.join(areas)}"
    token = mint(
        key,
        principal=StaffPrincipal(subject=subject, role=Role.PREVENT_OFFICER, areas=areas),
        issuer=settings.staff_token_issuer,
        audience=settings.staff_token_audience,
        ttl_seconds=3600,
    )
    user = SignedIn(
        subject=subject,
        name="Bench Officer",
        role=Role.PREVENT_OFFICER.value,
        areas=list(areas),
        access_token=token,
        access_expires_at=datetime.now(UTC) + timedelta(hours=1),
        id_token="not-used-by-the-benchmark",  # noqa: S106 - a placeholder, not a secret
    )
    session_id = await store.save(Session(id=None, data=SessionData(user=user)))
    return Officer(cookie={"cookie": f"{COOKIE}={session_id}"}, token=token)


def api_headers(officer: Officer, purpose: str) -> dict[str, str]:
    """What the web front end's AssessmentClient sends for this officer and purpose."""
    return {"authorization": f"Bearer {officer.token}", "x-purpose": purpose}


async def abba(
    api: Callable[[], Awaitable[None]],
    page: Callable[[], Awaitable[None]],
    count: int,
    workers: int,
) -> tuple[list[float], list[float]]:
    """`count` calls of each, ABBA, so slow spells of the shared machine fall on both."""
    half = max(count // 2, 1)
    api_samples = await timed(api, half, workers)
    page_samples = await timed(page, half, workers)
    page_samples += await timed(page, count - half, workers)
    api_samples += await timed(api, count - half, workers)
    return api_samples, page_samples


def print_pair(label: str, api: list[float], page: list[float]) -> None:
    """The API line, the page line, and what the page adds."""
    a50, a99 = quantiles(api)
    p50, p99 = quantiles(page)
    figure(f"{label.strip()} page p50", p50, unit="ms", baseline=a50, better="lower")
    figure(f"{label.strip()} page p99", p99, unit="ms", baseline=a99, better="lower")
    print(f"  {label} API   {a50:8.1f} {a99:8.1f}")
    print(f"  {'':<{len(label)}} page  {p50:8.1f} {p99:8.1f}")
    print(
        f"  {'':<{len(label)}} ratio {p50 / a50:8.2f} {p99 / a99:8.2f}"
        f"   (page - API: {p50 - a50:+.1f} ms at p50, {p99 - a99:+.1f} ms at p99)"
    )


async def measure_pages(
    web: httpx.AsyncClient,
    api: httpx.AsyncClient,
    inbox_officer: Officer,
    case_officers: dict[str, Officer],
    live: list[Case],
    count: int,
    concurrency: list[int],
) -> None:
    """Inbox and case page beside their API calls, at each concurrency."""
    params = inbox_params({}, 1)
    inbox_api_headers = api_headers(inbox_officer, INBOX_PURPOSE)
    case_purpose = PURPOSES[CASE_PURPOSE_KEY]

    async def inbox_api() -> None:
        answer = await api.get("/v1/tasks", params=params, headers=inbox_api_headers)
        assert answer.status_code == 200, answer.text

    async def inbox_page() -> None:
        answer = await web.get("/tasks", headers=inbox_officer.cookie)
        assert answer.status_code == 200, (answer.status_code, answer.headers)

    # The same seeded order of cases for the API and the page.
    api_order, page_order = random.Random(7), random.Random(7)

    async def case_api() -> None:
        case = api_order.choice(live)
        answer = await api.get(
            f"/v1/cases/{case.reference}",
            headers=api_headers(case_officers[case.area], case_purpose),
        )
        assert answer.status_code == 200, answer.text

    async def case_page() -> None:
        case = page_order.choice(live)
        answer = await web.get(
            f"/cases/{case.reference}",
            params={"purpose": CASE_PURPOSE_KEY},
            headers=case_officers[case.area].cookie,
        )
        assert answer.status_code == 200, (answer.status_code, answer.headers)

    # What each page shows is what its API call answered.
    page = (await api.get("/v1/tasks", params=params, headers=inbox_api_headers)).json()
    html = (await web.get("/tasks", headers=inbox_officer.cookie)).text
    assert page["items"] and page["items"][0]["reference"] in html
    view = (
        await api.get(
            f"/v1/cases/{live[0].reference}",
            headers=api_headers(case_officers[live[0].area], case_purpose),
        )
    ).json()
    assert not view["gaps"], view["gaps"]
    html = (
        await web.get(
            f"/cases/{live[0].reference}",
            params={"purpose": CASE_PURPOSE_KEY},
            headers=case_officers[live[0].area].cookie,
        )
    ).text
    assert f"Case {live[0].reference}" in html
    for call in (inbox_api, inbox_page, case_api, case_page):
        await timed(call, 30)  # warm up

    print(
        f"\ninbox: an officer's one area, {page['total']} open tasks, first page of"
        f" {len(page['items'])}; case page: {len(live)} live cases"
        f" ({len(view['chronology'])} chronology entries, {len(view['linked_referrals'])} linked)"
    )
    label_width = 40
    print(f"  {'':<{label_width}}       {'p50 ms':>8} {'p99 ms':>8}")
    await floors(web, api, inbox_officer, count, label_width + 6)
    for workers in concurrency:
        who = "sequential" if workers == 1 else f"{workers} concurrent"
        began = time.perf_counter()
        a, p = await abba(inbox_api, inbox_page, count, workers)
        print_pair(f"{'GET /tasks, ' + who + f' ({count} each)':<{label_width}}", a, p)
        a, p = await abba(case_api, case_page, count, workers)
        print_pair(f"{'GET /cases/{ref}, ' + who:<{label_width}}", a, p)
        print(f"  ({time.perf_counter() - began:.0f} s)")


async def floors(
    web: httpx.AsyncClient, api: httpx.AsyncClient, officer: Officer, count: int, width: int
) -> None:
    """What a request costs each process without the page's work: the parts of the ratio."""

    async def get(http: httpx.AsyncClient, path: str, status: int, headers: dict[str, str]) -> None:
        answer = await http.get(path, headers=headers)
        assert answer.status_code == status, (path, answer.status_code)

    shapes = [
        ("API GET /health/live (its HTTP floor)", api, "/health/live", 200, {}),
        ("web GET /health/live (its HTTP floor)", web, "/health/live", 200, {}),
        ("web GET / (session + user, 303, no render)", web, "/", 303, officer.cookie),
    ]
    for label, http, path, status, headers in shapes:

        async def call(
            http: httpx.AsyncClient = http,
            path: str = path,
            status: int = status,
            headers: dict[str, str] = headers,
        ) -> None:
            await get(http, path, status, headers)

        p50, p99 = quantiles(await timed(call, count))
        print(f"  {label:<{width}} {p50:8.1f} {p99:8.1f}")


class _Links(HTMLParser):
    """What a page's HTML asks a browser to fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.icons: list[tuple[str, str]] = []  # (href, type)
        self.other_links: list[tuple[str, str]] = []  # (rel, href): not fetched on a visit
        self._in_module = False
        self.module_sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link":
            rel, href = values.get("rel", "").lower().split(), values.get("href", "")
            if "stylesheet" in rel:
                self.stylesheets.append(href)
            elif "icon" in rel:
                self.icons.append((href, values.get("type", "")))
            elif href:
                self.other_links.append((" ".join(rel), href))
        elif tag == "script":
            if values.get("src"):
                self.scripts.append(values["src"])
            self._in_module = values.get("type") == "module" and not values.get("src")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_module = False

    def handle_data(self, data: str) -> None:
        if self._in_module:
            self.module_sources.append(data)


IMPORT = re.compile(
    r"""\bimport\b[^"'();]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']"""
)
URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}")


def css_fetches(css: str) -> tuple[list[str], list[str]]:
    """The url()s a browser takes (each @font-face's first source, every other url), and the
    font fallbacks it skips."""
    taken: list[str] = []
    skipped: list[str] = []
    for face in FONT_FACE.findall(css):
        sources = URL.findall(face)
        taken += sources[:1]
        skipped += sources[1:]
    rest = FONT_FACE.sub("", css)
    taken += [url for url in URL.findall(rest) if not url.startswith("data:")]
    return list(dict.fromkeys(taken)), skipped


@dataclass
class Fetched:
    """One file of a visit."""

    path: str
    kind: str
    body: bytes
    content_type: str
    cache_control: str
    encoding: str

    @property
    def gzipped(self) -> int:
        """What gzip (level 6) would send for a text type; binary formats go as they are."""
        if self.content_type.startswith(TEXT_TYPES):
            return len(gzip.compress(self.body, compresslevel=6))
        return len(self.body)

    @property
    def immutable(self) -> bool:
        """Cached for good by the first visit."""
        return "immutable" in self.cache_control


@dataclass
class Visit:
    """Everything a first visit fetches."""

    files: list[Fetched] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    not_fetched: list[tuple[str, str]] = field(default_factory=list)


async def first_visit(web: httpx.AsyncClient, officer: Officer, path: str) -> Visit:
    """Fetch the page and what it links, as a browser would on a cold cache."""
    visit = Visit()

    async def get(url: str, kind: str) -> Fetched:
        answer = await web.get(url, headers=officer.cookie | BROWSER_HEADERS)
        assert answer.status_code == 200, (url, answer.status_code)
        fetched = Fetched(
            path=urlsplit(url).path,
            kind=kind,
            body=answer.content,
            content_type=answer.headers.get("content-type", ""),
            cache_control=answer.headers.get("cache-control", ""),
            encoding=answer.headers.get("content-encoding", "identity"),
        )
        visit.files.append(fetched)
        return fetched

    page = await get(path, "HTML")
    links = _Links()
    links.feed(page.body.decode())
    base = str(web.base_url).rstrip("/") + path
    for href in links.stylesheets:
        sheet = await get(urljoin(base, href), "CSS")
        taken, skipped = css_fetches(sheet.body.decode())
        visit.skipped += skipped
        for url in taken:
            kind = "font" if "/fonts/" in url else "CSS image"
            await get(urljoin(urljoin(base, href), url), kind)
    imports = [m[0] or m[1] for src in links.module_sources for m in IMPORT.findall(src)]
    for src in [*links.scripts, *imports]:
        await get(urljoin(base, src), "JS")
    # A browser takes one icon: the SVG one when offered.
    if links.icons:
        svg = [href for href, kind in links.icons if kind == "image/svg+xml"]
        await get(urljoin(base, (svg or [links.icons[0][0]])[0]), "favicon")
        visit.skipped += [href for href, _ in links.icons if href != (svg or [""])[0]]
    visit.not_fetched = links.other_links
    return visit


def print_visit(visit: Visit) -> None:
    """Per file, then the totals of a first and a second visit."""
    print("\nfirst visit to GET /tasks (bytes of each body)")
    print(f"  {'file':<52} {'kind':<10} {'bytes':>8} {'gzip':>8}  cache-control")
    for f in visit.files:
        name = f.path if len(f.path) <= 52 else "..." + f.path[-49:]
        print(
            f"  {name:<52} {f.kind:<10} {len(f.body):>8,} {f.gzipped:>8,}"
            f"  {f.cache_control or '(none)'}"
        )
    raw = sum(len(f.body) for f in visit.files)
    packed = sum(f.gzipped for f in visit.files)
    print(f"  {'first visit: ' + str(len(visit.files)) + ' requests':<63} {raw:>8,} {packed:>8,}")
    html = visit.files[0]
    print(
        f"  (the page is served with content-encoding: {html.encoding}, static files gzip'd;"
        " gzip column: text types compressed at level 6, fonts and raster images as they are)"
    )
    kept = [f for f in visit.files[1:] if f.immutable]
    again = [f for f in visit.files[1:] if not f.immutable]
    print(
        f"  second visit: the HTML, {len(html.body):,} bytes ({html.gzipped:,} gzip);"
        f" {len(kept)} of {len(visit.files) - 1} assets are cached immutable"
    )
    if again:
        print(f"    the other {len(again)}, by their own cache-control:")
        for f in again:
            print(f"    {f.path}: {f.cache_control or 'none (heuristic freshness, then 304)'}")
    if visit.skipped:
        print("  not fetched: font fallbacks and other icons: " + ", ".join(visit.skipped))
    if visit.not_fetched:
        print(
            "  not fetched on a visit: "
            + ", ".join(f"{href} ({rel})" for rel, href in visit.not_fetched)
        )


async def browser_visits(url: str, session_cookie: str, path: str) -> None:
    """A real Chromium's first and second visit (new tab, same profile), by CDP's counts."""
    chromium = shutil.which("chromium")
    if chromium is None:
        print("\n(no chromium on PATH: the browser's own count is skipped)")
        return
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context()
            await context.add_cookies(
                [{"name": COOKIE, "value": session_cookie, "url": url, "httpOnly": True}]
            )
            print("\nChromium (headless), bytes on the wire per CDP (headers and bodies)")
            for visit in ("first visit", "second visit"):
                page = await context.new_page()
                cdp = await context.new_cdp_session(page)
                seen: dict[str, dict[str, Any]] = {}

                def on_response(event: dict[str, Any], seen: dict[str, Any] = seen) -> None:
                    response = event["response"]
                    seen.setdefault(event["requestId"], {}).update(
                        url=response["url"],
                        status=response["status"],
                        cached=response.get("fromDiskCache") or response.get("fromMemoryCache"),
                    )

                def on_finished(event: dict[str, Any], seen: dict[str, Any] = seen) -> None:
                    seen.setdefault(event["requestId"], {})["wire"] = event["encodedDataLength"]

                def on_cache(event: dict[str, Any], seen: dict[str, Any] = seen) -> None:
                    seen.setdefault(event["requestId"], {})["cached"] = True

                cdp.on("Network.responseReceived", on_response)
                cdp.on("Network.loadingFinished", on_finished)
                cdp.on("Network.requestServedFromCache", on_cache)
                await cdp.send("Network.enable")
                await page.goto(url + path, wait_until="networkidle", timeout=30_000)
                await page.evaluate("document.fonts.ready.then(() => true)")
                await page.wait_for_timeout(500)
                await page.close()
                rows = [r for r in seen.values() if "url" in r]
                network = [r for r in rows if not r.get("cached")]
                wire = sum(int(r.get("wire", 0)) for r in network)
                print(
                    f"  {visit}: {len(rows)} resources, {len(network)} over the network,"
                    f" {wire:,} bytes"
                )
                for r in rows:
                    where = "cache" if r.get("cached") else f"{int(r.get('wire', 0)):,} B"
                    print(f"    {r['status']} {urlsplit(r['url']).path:<60} {where}")
        finally:
            await browser.close()


def print_log_tails(root: Path) -> None:
    """The end of each child's log, when the run failed (the directory is removed after)."""
    for log in sorted(root.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-15:]
        print(f"--- {log.name}", *tail, sep="\n", file=sys.stderr)


async def main(cases_count: int, requests: int, live_count: int, browser: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix="safeguard-bench-web-"))
    free = free_ports(12)
    pg, kafka, controller, temporal_port, ui, keycloak, keycloak_mgmt = free[:7]
    intake_port, api_port, web_port, m1, m2 = free[7:]
    ports = StackPorts(
        postgres=pg,
        kafka=kafka,
        kafka_controller=controller,
        temporal=temporal_port,
        temporal_ui=ui,
        # Nothing listens there: no token here comes from an identity provider.
        keycloak=keycloak,
        keycloak_management=keycloak_mgmt,
    )
    settings = Settings(data_dir=root / "data", stack=ports, temporal_task_queue=TASK_QUEUE)
    stack = Stack(data_dir=settings.data_dir, ports=ports, components=("postgres", "temporal"))
    children: list[asyncio.subprocess.Process] = []
    failed = True
    try:
        began = time.perf_counter()
        await stack.up()
        await migrate(settings.database_dsn())
        print(f"PostgreSQL and Temporal up in {time.perf_counter() - began:.1f} s")
        conn = await asyncpg.connect(settings.database_dsn())
        cases = make_cases(cases_count, areas(AREAS), random.Random(42))
        began = time.perf_counter()
        await load(conn, cases)
        print(
            f"COPY {len(cases):,} cases (x10 events) into the read model"
            f" in {time.perf_counter() - began:.1f} s"
        )
        api_url = f"http://127.0.0.1:{api_port}"
        web_url = f"http://127.0.0.1:{web_port}"
        env = child_env(
            settings,
            {
                "SAFEGUARD_STACK__KEYCLOAK": str(keycloak),
                "SAFEGUARD_STACK__KEYCLOAK_MANAGEMENT": str(keycloak_mgmt),
                "SAFEGUARD_INTAKE_INTERNAL_URL": f"http://127.0.0.1:{intake_port}",
                "SAFEGUARD_TELEMETRY__WORKER_METRICS_PORT": str(m1),
                "SAFEGUARD_TELEMETRY__TEMPORAL_METRICS_PORT": str(m2),
                "SAFEGUARD_SERVICES__WEB": str(web_port),
                "SAFEGUARD_SERVICES__ASSESSMENT": str(api_port),
                "SAFEGUARD_WEB__OIDC_ISSUER": UNREACHABLE_ISSUER,
                "SAFEGUARD_WEB__PUBLIC_URL": web_url,
                "SAFEGUARD_WEB__ASSESSMENT_URL": api_url,
            },
        )
        for name in ("SAFEGUARD_STAFF_JWKS", "SAFEGUARD_STAFF_OIDC_ISSUER"):
            env.pop(name, None)  # the services trust the development key of the data dir
        children.append(
            await start(
                [sys.executable, "-m", "workflows.referral.worker"], env, root / "worker.log", None
            )
        )
        children.append(
            await start(
                uvicorn("services.intake.app:create_app", intake_port),
                env,
                root / "intake.log",
                f"http://127.0.0.1:{intake_port}/health/ready",
            )
        )
        children.append(
            await start(
                uvicorn("inbox_app:create_app", api_port),
                env,
                root / "assessment.log",
                f"{api_url}/health/ready",
            )
        )
        children.append(
            await start(
                uvicorn("services.web.app:create_app", web_port),
                env,
                root / "web.log",
                f"{web_url}/health/ready",
            )
        )
        client = await connect_temporal(settings)
        began = time.perf_counter()
        live = await make_live(conn, client, cases, live_count)
        await conn.close()
        print(
            f"{len(live)} live cases (workflow, form, 2 linked referrals)"
            f" in {time.perf_counter() - began:.1f} s"
        )
        key = development_signing_key(settings.data_dir)
        pool = await create_pool(settings)
        store = SessionStore(pool, settings.web)
        inbox_officer = await sign_in(store, settings, key, (areas(AREAS)[7],))
        case_officers = {
            area: await sign_in(store, settings, key, (area,)) for area in {c.area for c in live}
        }
        await pool.close()
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        async with (
            httpx.AsyncClient(base_url=web_url, timeout=30, limits=limits) as web,
            httpx.AsyncClient(base_url=api_url, timeout=30, limits=limits) as api,
        ):
            await measure_pages(web, api, inbox_officer, case_officers, live, requests, [1, 8])
            print_visit(await first_visit(web, inbox_officer, "/tasks"))
        if browser:
            session_id = inbox_officer.cookie["cookie"].split("=", 1)[1]
            await browser_visits(web_url, session_id, "/tasks")
        failed = False
    finally:
        for child in children:
            if child.returncode is None:
                child.terminate()
            await child.wait()
        await stack.down()
        if failed:
            print_log_tails(root)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases in the read model")
    parser.add_argument("--requests", type=int, default=300, help="requests per measurement")
    parser.add_argument("--live", type=int, default=30, help="cases with a running workflow")
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium's own count")
    options = parser.parse_args()
    asyncio.run(main(options.cases, options.requests, options.live, not options.no_browser))
