"""The dispatcher: sends recorded notifications, retrying with backoff, logging every attempt.

Several dispatchers may run: each claims rows with `FOR UPDATE SKIP LOCKED` under a short lease
in its own name, renewed while it sends, and logs each attempt before making it
(services/notifications/leases.py). A row whose dispatcher died is taken back, its attempt
marked interrupted, within a lease of the last renewal. Delivery is at least once: a crash
between a send and its record resends it, carrying the same Message-ID, webhook delivery id or
Notify reference, so receivers can recognise the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from uuid import UUID

from opentelemetry import trace

from safeguard.db.listening import keep_listening
from safeguard.db.pool import Connection, Pool
from safeguard.kafka.tracing import context_from_mapping
from safeguard.metrics import NOTIFICATIONS
from safeguard.settings import NotificationSettings
from services.notifications import store
from services.notifications.delivery import DeliveryChannel, DeliveryError, Outgoing, Sender
from services.notifications.leases import LEASE, Leases
from services.notifications.links import LINKED_TEMPLATES, ConsentLinkClient
from services.notifications.models import Claimed
from services.notifications.recipients import Resolver
from services.notifications.templates import TemplateError, render

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

_FAILURE_PAUSE_SECONDS = 1.0


class Dispatcher:
    """Claims due notifications in small batches and sends them concurrently."""

    def __init__(
        self,
        *,
        settings: NotificationSettings,
        pool: Pool,
        resolver: Resolver,
        senders: dict[DeliveryChannel, Sender],
        links: ConsentLinkClient,
        batch: int = 20,
        lease: timedelta = LEASE,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._resolver = resolver
        self._links = links
        self._senders = senders
        self._batch = batch
        self.leases = Leases(pool, lease)
        self._wake = asyncio.Event()

    async def run(self, *, poll_seconds: float = 1.0) -> None:
        """Send until cancelled, woken by the consumer's NOTIFY or a periodic poll (listening
        again after the database restarts)."""

        async def dispatch(lost: asyncio.Event) -> None:
            await self._loop(poll_seconds, lost)

        await keep_listening(
            self._pool,
            channel=store.WAKE_CHANNEL,
            on_notify=self._wake.set,
            body=dispatch,
            what="dispatcher",
        )

    async def _loop(self, poll_seconds: float, lost: asyncio.Event) -> None:
        while not lost.is_set():
            self._wake.clear()
            try:
                sent = await self.dispatch_once()
            except Exception as error:  # PostgreSQL unavailable: the rows wait
                logger.warning("dispatcher paused (%s)", type(error).__name__)
                await asyncio.sleep(_FAILURE_PAUSE_SECONDS)
                continue
            if sent < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll_seconds)

    async def dispatch_once(self) -> int:
        """Take back interrupted sends, then claim and send one batch; return how many."""
        await self.leases.take_back_interrupted()
        claimed = await self.leases.claim(self._batch)
        if not claimed:
            return 0
        async with self._pool.acquire() as conn:
            traces = await _trace_contexts(conn, [notification.id for notification in claimed])
        in_flight = {notification.id for notification in claimed}
        async with self.leases.kept(in_flight):
            # Every send runs to its end (one failing must not leave the others unrenewed).
            results = await asyncio.gather(
                *(self._deliver_traced(n, traces.get(n.id), in_flight) for n in claimed),
                return_exceptions=True,
            )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return len(claimed)

    async def _deliver_traced(
        self, claimed: Claimed, carrier: dict[str, str] | None, in_flight: set[UUID]
    ) -> None:
        """Deliver inside a span continuing the trace of the event that caused the notification."""
        with tracer.start_as_current_span(
            f"notification {claimed.template} send",
            context=context_from_mapping(carrier),
            kind=trace.SpanKind.INTERNAL,
            attributes={
                "notification.id": str(claimed.id),
                "notification.template": claimed.template,
                "notification.attempt": claimed.attempts,
                "referral.id": str(claimed.referral_id),
            },
        ):
            try:
                await self._deliver(claimed)
            finally:
                in_flight.discard(claimed.id)

    async def _deliver(self, claimed: Claimed) -> None:
        channel: str = "unresolved"
        try:
            outgoing = await self._prepare(claimed)
            channel = outgoing.destination.channel
            routed_to = outgoing.destination.fallback
            if not await self.leases.still_ours(claimed, channel, routed_to=routed_to):
                return
            await self._sender(outgoing.destination.channel).send(outgoing)
        except DeliveryError as error:
            await self._failed(claimed, channel, error)
            return
        await self.leases.finish(claimed, channel, "delivered", error=None)
        NOTIFICATIONS.labels(channel, "delivered").inc()
        logger.info("notification %s (%s) delivered by %s", claimed.id, claimed.template, channel)

    async def _prepare(self, claimed: Claimed) -> Outgoing:
        destination = await self._resolver.resolve(
            referral_id=claimed.referral_id, recipient=claimed.recipient
        )
        params = claimed.params
        if claimed.template in LINKED_TEMPLATES:
            # Asked only once the message can go: a fresh link replaces any unused one. It
            # lives in the rendered message alone, never in the stored parameters.
            self._sender(destination.channel)
            link = await self._links.issue(claimed.referral_id)
            params = params | link.params()
        try:
            message = render(claimed.template, params)
        except TemplateError as error:
            raise DeliveryError(f"template problem: {error}", permanent=True) from None
        return Outgoing(claimed.id, claimed.referral_id, destination, message)

    def _sender(self, channel: DeliveryChannel) -> Sender:
        sender = self._senders.get(channel)
        if sender is None:
            raise DeliveryError(f"no {channel} channel is configured", permanent=True)
        return sender

    async def _failed(self, claimed: Claimed, channel: str, error: DeliveryError) -> None:
        tries = claimed.attempts - claimed.attempts_before_resend
        final = error.permanent or tries >= self._settings.max_attempts
        delay = min(
            self._settings.retry_base_seconds * 2 ** (tries - 1),
            self._settings.retry_max_seconds,
        )
        await self.leases.finish(
            claimed,
            channel,
            "failed" if final else "retry",
            error=error.reason,
            retry_in=timedelta(seconds=0 if final else delay),
        )
        NOTIFICATIONS.labels(channel, "failed" if final else "retry").inc()
        trace.get_current_span().set_status(trace.StatusCode.ERROR, error.reason)
        logger.warning(
            "notification %s (%s) attempt %d %s: %s",
            claimed.id,
            claimed.template,
            claimed.attempts,
            "failed for good" if final else f"failed, retry in {delay:.1f}s",
            error.reason,
        )


async def _trace_contexts(conn: Connection, ids: list[UUID]) -> dict[UUID, dict[str, str]]:
    """The stored trace context of each claimed notification (set when it was recorded)."""
    if not ids:
        return {}
    rows = await conn.fetch(
        "SELECT id, trace_context FROM notifications.notifications"
        " WHERE id = ANY($1::uuid[]) AND trace_context IS NOT NULL",
        ids,
    )
    return {row["id"]: row["trace_context"] for row in rows}
