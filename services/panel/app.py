"""The panel service's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from safeguard.lifespan import service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its case routes arrive with the panel issue."""
    settings = settings or get_settings()
    return build_app(
        title="Channel panel",
        description="Channel panels: meetings, consent, decisions, support plans and reviews.",
        settings=settings,
        lifespan=service_lifespan(settings),
        routers=[],
    )
