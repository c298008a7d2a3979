"""The notifications service's FastAPI app and its event consumer."""

from __future__ import annotations

from fastapi import FastAPI

from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.lifespan import Subscription, service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import build_app
from services.notifications.events import CONSUMER, handle_event
from services.notifications.routes import router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its lifespan runs the lifecycle-event consumer."""
    settings = settings or get_settings()
    subscription = Subscription(CONSUMER, [REFERRAL_EVENTS], handle_event)
    return build_app(
        title="Prevent case notifications",
        description="Who was told what about each case, and when.",
        settings=settings,
        lifespan=service_lifespan(settings, subscriptions=(subscription,)),
        routers=[router],
    )
