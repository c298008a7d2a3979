"""The intake service's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from temporalio.client import Client

from safeguard.lifespan import service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import build_app
from services.intake.routes import router


def create_app(settings: Settings | None = None, *, temporal: Client | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and Temporal client."""
    settings = settings or get_settings()
    return build_app(
        title="Prevent referral intake",
        description="Partner agencies and the public submit Prevent referrals here.",
        settings=settings,
        lifespan=service_lifespan(settings, temporal=temporal, needs_temporal=True),
        routers=[router],
    )
