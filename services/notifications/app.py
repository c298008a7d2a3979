"""The notifications service's FastAPI app: the event consumer, the dispatcher, the log API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import service_tokens
from safeguard.background import running
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.lifespan import Subscription, service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.web import Lifespan, build_app
from services.notifications import directory
from services.notifications.contacts import ContactsClient
from services.notifications.delivery import DeliveryChannel, Sender
from services.notifications.dispatch import Dispatcher
from services.notifications.events import CONSUMER, handle_event
from services.notifications.links import ConsentLinkClient
from services.notifications.notify import NotifySender
from services.notifications.print_queue import PrintQueueSender
from services.notifications.recipients import Resolver
from services.notifications.routes import directory_router, router
from services.notifications.sink import SmtpSink
from services.notifications.smtp import SmtpSender
from services.notifications.webhook import WebhookSender

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its lifespan runs the lifecycle-event consumer and the dispatcher."""
    settings = settings or get_settings()
    subscription = Subscription(CONSUMER, [REFERRAL_EVENTS], handle_event)
    base = service_lifespan(settings, subscriptions=(subscription,), staff=True)
    return build_app(
        title="Prevent case notifications",
        description="Who was told what about each case, and when.",
        settings=settings,
        lifespan=_with_dispatcher(settings, base),
        routers=[router, directory_router],
    )


def senders(settings: Settings, http: httpx.AsyncClient) -> dict[DeliveryChannel, Sender]:
    """The channels configuration chooses: SMTP or GOV.UK Notify, letters through Notify or a
    print queue, and webhooks."""
    config = settings.notifications
    webhook = WebhookSender(http, timeout=config.webhook_timeout_seconds)
    found: dict[DeliveryChannel, Sender] = {"webhook": webhook}
    if config.channel == "notify":
        notify = NotifySender(config)
        found |= {"email": notify, "sms": notify}
    else:
        found["email"] = SmtpSender(config)
    letters = config.letter_channel or ("notify" if config.channel == "notify" else "print_queue")
    if letters == "notify":
        found["letter"] = NotifySender(config)
    else:
        found["letter"] = PrintQueueSender(config.print_queue_dir or settings.data_dir / "letters")
    return found


def _with_dispatcher(settings: Settings, base: Lifespan) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            base(app),
            AsyncExitStack() as stack,
            service_keyring(settings, service=directory.SERVICE) as keyring,
        ):
            app.state.keyring = keyring
            await directory.seal_legacy_entries(app.state.pool, keyring)
            if _runs_local_sink(settings):
                await stack.enter_async_context(_local_sink(settings))
            if settings.notifications.dispatch_enabled:
                http = await stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
                tokens = await stack.enter_async_context(
                    service_tokens(settings, ServiceClient.NOTIFICATIONS)
                )
                channels = senders(settings, http)
                dispatcher = Dispatcher(
                    settings=settings.notifications,
                    pool=app.state.pool,
                    resolver=Resolver(
                        pool=app.state.pool,
                        contacts=ContactsClient(settings, http, tokens),
                        keyring=keyring,
                        sms="sms" in channels,
                    ),
                    senders=channels,
                    links=ConsentLinkClient(settings, http, tokens),
                )
                await stack.enter_async_context(running(dispatcher.run()))
            yield

    return lifespan


def _runs_local_sink(settings: Settings) -> bool:
    wanted = settings.notifications.smtp_local_sink
    if wanted is None:
        wanted = settings.environment == "development" and settings.notifications.channel == "smtp"
    return wanted


@asynccontextmanager
async def _local_sink(settings: Settings) -> AsyncIterator[None]:
    config = settings.notifications
    maildir = settings.data_dir / "mail"
    sink = SmtpSink(host=config.smtp_host, port=config.smtp_port, maildir=maildir)
    try:
        await sink.start()
    except OSError:
        logger.warning("local SMTP sink not started: port %d is taken", config.smtp_port)
        yield
        return
    # The Maildir's own path (`.data/mail` under `make run`), where a newcomer looks for it.
    logger.info("local SMTP sink on %s:%d keeps mail in %s", sink.host, sink.port, maildir)
    try:
        yield
    finally:
        await sink.stop()
