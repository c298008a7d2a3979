"""Webhooks to partner systems: a JSON body signed with HMAC-SHA256 under the partner's key."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from services.notifications.delivery import DeliveryError, Outgoing

SIGNATURE_HEADER = "X-Safeguard-Signature"
TIMESTAMP_HEADER = "X-Safeguard-Timestamp"
DELIVERY_HEADER = "X-Safeguard-Delivery"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` over `<timestamp>.<body>`; the timestamp lets receivers refuse replays."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, presented: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(signature(secret, timestamp, body), presented)


def payload(outgoing: Outgoing) -> bytes:
    """The body: ids, the template and its parameters (references, dates, codes) only."""
    return json.dumps(
        {
            "notification_id": str(outgoing.notification_id),
            "referral_id": str(outgoing.referral_id),
            "template": outgoing.message.template,
            "subject": outgoing.message.subject,
            "params": outgoing.message.params,
        },
        sort_keys=True,
    ).encode()


class WebhookSender:
    """POSTs signed notifications; 2xx is delivered, 4xx (but 408/429) refused for good."""

    def __init__(self, http: httpx.AsyncClient, *, timeout: float) -> None:
        self._http = http
        self._timeout = timeout

    async def send(self, outgoing: Outgoing) -> None:
        """Deliver by HTTP POST, or raise `DeliveryError`."""
        secret = outgoing.destination.secret
        if not secret:
            raise DeliveryError("webhook has no signing key", permanent=True)
        body = payload(outgoing)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
            # Receivers drop a repeat of a delivery id (a resend after a crash).
            DELIVERY_HEADER: str(outgoing.notification_id),
        }
        try:
            answer = await self._http.post(
                outgoing.destination.address, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook unreachable ({type(error).__name__})") from None
        if answer.is_success:
            return
        permanent = 400 <= answer.status_code < 500 and answer.status_code not in (408, 429)
        raise DeliveryError(f"webhook answered {answer.status_code}", permanent=permanent)
