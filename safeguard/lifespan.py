"""The one lifespan every service uses: pool, optional Temporal client, event consumers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from temporalio.client import Client

from safeguard.auth.staff_verifier import verifier_for
from safeguard.background import running
from safeguard.db.pool import create_pool
from safeguard.kafka.consumer import EventConsumer, Handler
from safeguard.settings import Settings
from safeguard.temporal import connect_temporal


@dataclass(frozen=True)
class Subscription:
    """A consumer the service runs: its name (the group), topics and handler."""

    name: str
    topics: list[str]
    handler: Handler


def service_lifespan(
    settings: Settings,
    *,
    subscriptions: tuple[Subscription, ...] = (),
    temporal: Client | None = None,
    needs_temporal: bool = False,
    staff: bool = False,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Create pools and clients once at start-up and close them at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = pool = await create_pool(
            settings, outages=getattr(app.state, "outages", None)
        )
        if needs_temporal:
            # Lazily: a service restarted during a Temporal outage starts and answers 503
            # until Temporal does, rather than dying at start until its supervisor gives up.
            app.state.temporal = temporal or await connect_temporal(settings, lazy=True)
        if staff:
            app.state.staff_verifier = verifier_for(settings)
        consumers = [
            EventConsumer(
                settings=settings, pool=pool, name=s.name, topics=s.topics, handler=s.handler
            ).run()
            for s in subscriptions
        ]
        try:
            async with running(*consumers):
                yield
        finally:
            await pool.close()

    return lifespan
