"""GOV.UK Notify, through its official client, for email, SMS and letters."""

from __future__ import annotations

import asyncio

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from opentelemetry import trace

from safeguard.settings import NotificationSettings
from services.notifications.delivery import DeliveryError, Outgoing

tracer = trace.get_tracer(__name__)


class NotifySender:
    """Sends through Notify's templates, passing our parameters as its personalisation."""

    def __init__(self, settings: NotificationSettings) -> None:
        if settings.notify_api_key is None:
            raise ValueError("the notify channel needs notifications.notify_api_key")
        # The official client has no annotations; these calls are its documented API.
        self._client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            settings.notify_api_key.get_secret_value(), base_url=settings.notify_base_url
        )
        self._template_ids = settings.notify_template_ids

    async def send(self, outgoing: Outgoing) -> None:
        """Deliver through Notify, or raise `DeliveryError` (4xx but 429 is permanent)."""
        template_id = self._template_id(outgoing)
        if template_id is None:
            raise DeliveryError("no Notify template is configured", permanent=True)
        # The client is synchronous (requests); a thread keeps the event loop free.
        try:
            with tracer.start_as_current_span(
                "notify send",
                kind=trace.SpanKind.CLIENT,
                attributes={
                    "notification.id": str(outgoing.notification_id),
                    "notification.template": outgoing.message.template,
                    "notification.channel": outgoing.destination.channel,
                },
            ):
                await asyncio.to_thread(self._send, outgoing, template_id)
        except HTTPError as error:
            status = int(error.status_code)
            permanent = 400 <= status < 500 and status != 429
            raise DeliveryError(f"Notify answered {status}", permanent=permanent) from None
        except OSError as error:
            raise DeliveryError(f"Notify unreachable ({type(error).__name__})") from None

    def _template_id(self, outgoing: Outgoing) -> str | None:
        # Notify's templates are per channel: a text's is under `<name>:sms` where configured.
        name = outgoing.message.template
        if outgoing.destination.channel == "sms":
            return self._template_ids.get(f"{name}:sms") or self._template_ids.get(name)
        return self._template_ids.get(name)

    def _send(self, outgoing: Outgoing, template_id: str) -> None:
        personalisation = outgoing.message.params
        reference = str(outgoing.notification_id)
        if outgoing.destination.channel == "letter":
            self._client.send_letter_notification(  # type: ignore[no-untyped-call]
                template_id, personalisation | _address(outgoing.destination.address), reference
            )
        elif outgoing.destination.channel == "sms":
            self._client.send_sms_notification(  # type: ignore[no-untyped-call]
                outgoing.destination.address, template_id, personalisation, reference
            )
        else:
            self._client.send_email_notification(  # type: ignore[no-untyped-call]
                outgoing.destination.address, template_id, personalisation, reference
            )


# Notify prints up to 7 address lines (the addressee first, the postcode last).
_NOTIFY_ADDRESS_LINES = 7


def _address(envelope: str) -> dict[str, str]:
    """A letter's envelope as Notify's `address_line_N` personalisation."""
    lines = envelope.splitlines()
    if len(lines) > _NOTIFY_ADDRESS_LINES:
        # Keep the addressee and the lines nearest the postcode, which the post needs most.
        lines = [lines[0], *lines[-(_NOTIFY_ADDRESS_LINES - 1) :]]
    return {f"address_line_{n}": line for n, line in enumerate(lines, start=1)}
