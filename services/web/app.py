"""The staff web front end's app: pages, sign-in, sessions, security headers, assets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from safeguard.background import running
from safeguard.db.pool import create_pool
from safeguard.errors import OUTAGE_CLASSES
from safeguard.logs import configure_logging
from safeguard.outages import Outages, OutageScope
from safeguard.settings import Settings, get_settings
from safeguard.telemetry import configure_tracing
from safeguard.web import health_router
from safeguard.web_telemetry import instrument_app
from services.web.assets import (
    GOVUK_ASSETS_DIR,
    IMMUTABLE,
    AssetManifest,
    CompressAssets,
    GovukAssets,
    build_manifest,
)
from services.web.auth import CsrfError, SessionMiddleware, SignInRequiredError, sign_in_url
from services.web.clients.base import ApiProblem
from services.web.config import WebConfig, web_config
from services.web.oidc import OidcClient
from services.web.pages import build_templates, render
from services.web.security import SecurityHeaders
from services.web.sessions import SessionStore, purge_periodically
from services.web.unavailable import outage_answer, unavailable_page
from services.web.views import audit as audit_pages
from services.web.views import (
    cases,
    decide,
    documents,
    home,
    member,
    provider,
    sign_in,
    statistics,
    tasks,
    transfers,
    triage,
)
from services.web.views import casework as chair_casework
from services.web.views import chair as chair_dashboard
from services.web.views import consent as consent_pages
from services.web.views import panels as panel_pages

ASSETS = ("govuk/govuk-frontend.min.css", "govuk/govuk-frontend.min.js", "app.css")


def _lifespan(settings: Settings, config: WebConfig) -> object:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await create_pool(settings, outages=app.state.outages)
        app.state.sessions = SessionStore(app.state.pool, settings.web)
        timeout = httpx.Timeout(settings.web.api_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout) as http:
            app.state.http = http
            app.state.oidc = OidcClient(
                http,
                issuer=config.issuer,
                client_id=settings.web.oidc_client_id,
                client_secret=config.client_secret,
                redirect_uri=f"{config.public_url}/auth/callback",
                scopes=settings.web.oidc_scopes,
            )
            try:
                async with running(purge_periodically(app.state.sessions)):
                    yield
            finally:
                await app.state.pool.close()

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the site; tests pass their own settings."""
    settings = settings or get_settings()
    config = web_config(settings)
    configure_logging()
    configure_tracing("safeguard-web", settings)
    manifest = build_manifest(ASSETS)
    app = FastAPI(
        title="Safeguard web",
        lifespan=_lifespan(settings, config),  # type: ignore[arg-type]
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.templates = build_templates(manifest)
    app.state.public_url = config.public_url
    app.state.api_urls = config.api_urls
    app.state.outages = found_down = Outages()
    secure = config.public_url.startswith("https://")
    app.add_middleware(SessionMiddleware, secure=secure)
    # Outside the sessions, which answer with the unavailable page when their database is down.
    app.add_middleware(OutageScope, outages=found_down)
    app.add_middleware(SecurityHeaders, issuer=config.issuer, https=secure)
    app.add_middleware(CompressAssets)
    instrument_app(app, service="web")
    _install_error_pages(app)
    _mount_assets(app, manifest)
    app.include_router(health_router)
    for module in (
        sign_in,
        home,
        tasks,
        triage,
        cases,
        decide,
        documents,
        transfers,
        provider,
        member,
        audit_pages,
        statistics,
    ):
        app.include_router(module.router)
    app.include_router(chair_casework.router)
    app.include_router(chair_dashboard.router)
    app.include_router(panel_pages.router)
    # Public: the consent link is the credential, so no sign-in (no UserDep) on these pages.
    app.include_router(consent_pages.router)
    return app


def _mount_assets(app: FastAPI, manifest: AssetManifest) -> None:
    @app.get("/static/{name:path}", include_in_schema=False)
    async def static(name: str) -> Response:
        path = manifest.files.get(name)
        if path is None:
            raise HTTPException(404)
        return FileResponse(path, headers={"cache-control": IMMUTABLE})

    # Fonts and images, named by GOV.UK Frontend's stylesheet (the fonts carry hashes).
    app.mount("/assets", GovukAssets(directory=GOVUK_ASSETS_DIR), name="assets")


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequiredError)
    async def sign_in_first(request: Request, error: SignInRequiredError) -> Response:
        if request.method == "GET":
            return RedirectResponse(sign_in_url(error.return_to), status_code=303)
        return render(
            request,
            "sign_in/session_ended.html",
            status_code=401,
            title="You have been signed out",
            sign_in=sign_in_url(error.return_to),
        )

    @app.exception_handler(CsrfError)
    async def csrf_refused(request: Request, error: CsrfError) -> Response:
        return render(
            request,
            "errors/page.html",
            status_code=403,
            title="Your form was not sent",
            message="The form was not sent from this service, or it was open too long. Nothing"
            " was recorded. Go back, reload the page and try again.",
            link={"href": "/", "text": "Go to the start"},
        )

    @app.exception_handler(ApiProblem)
    async def api_refused(request: Request, problem: ApiProblem) -> Response:
        if problem.status == 401:
            return await sign_in_first(request, SignInRequiredError(request.url.path))
        if problem.status == 503:
            return unavailable_page(request, problem.retry_after)
        title, message = _problem_text(problem)
        return render(request, "errors/page.html", problem.status, title=title, message=message)

    async def dependency_down(request: Request, error: Exception) -> Response:
        answer = outage_answer(request, error)
        if answer is None:
            raise error  # not an outage: Starlette's error page, and its traceback logged
        return answer

    for outage_class in OUTAGE_CLASSES:
        app.add_exception_handler(outage_class, dependency_down)

    # Starlette's class, so unknown routes (raised by the router, not by us) get the page too.
    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, error: StarletteHTTPException) -> Response:
        return render(
            request,
            "errors/page.html",
            status_code=error.status_code,
            title="Page not found" if error.status_code == 404 else "Sorry, there is a problem",
            message="If you typed the web address, check it is correct.",
        )


def _problem_text(problem: ApiProblem) -> tuple[str, str]:
    if problem.status == 403:
        return "You cannot do this", problem.detail or "Your role does not allow it."
    return problem.title, problem.detail or ""
