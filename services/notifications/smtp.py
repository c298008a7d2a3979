"""Email over SMTP (a real server; in development and tests a local one)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
from opentelemetry import trace

from safeguard.settings import NotificationSettings
from services.notifications.delivery import DeliveryError, Outgoing

tracer = trace.get_tracer(__name__)


class SmtpSender:
    """Sends one message per connection; notifications are few and connections cheap."""

    def __init__(self, settings: NotificationSettings) -> None:
        self._settings = settings

    async def send(self, outgoing: Outgoing) -> None:
        """Deliver by SMTP, or raise `DeliveryError` (5xx replies are permanent)."""
        settings = self._settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        # A client span naming the server and template; the recipient's address stays out.
        with tracer.start_as_current_span(
            "smtp send",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "server.address": settings.smtp_host,
                "server.port": settings.smtp_port,
                "notification.id": str(outgoing.notification_id),
                "notification.template": outgoing.message.template,
            },
        ):
            await self._send(outgoing, password)

    async def _send(self, outgoing: Outgoing, password: str | None) -> None:
        settings = self._settings
        try:
            await aiosmtplib.send(
                _message(outgoing, sender=settings.smtp_sender),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                start_tls=settings.smtp_starttls,
                timeout=30,
            )
        except aiosmtplib.SMTPResponseException as error:
            raise DeliveryError(f"SMTP {error.code}", permanent=error.code >= 500) from None
        except aiosmtplib.SMTPRecipientsRefused:
            raise DeliveryError("SMTP recipient refused", permanent=True) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP unavailable ({type(error).__name__})") from None


def _message(outgoing: Outgoing, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = outgoing.destination.address
    message["Subject"] = outgoing.message.subject
    message["Date"] = formatdate(localtime=False)
    # Stable per notification, so a resend after a crash can be recognised as the same mail.
    message["Message-ID"] = f"<{outgoing.notification_id}@safeguard.notifications>"
    message["X-Safeguard-Template"] = outgoing.message.template
    message.set_content(outgoing.message.body)
    return message
