"""Partners' follow-up information: stored once per key, then told to the case's officers.

The text is sealed with the referral's intake data key; the documents it brings were uploaded
first (`attachments.py`) and are linked here. The case hears of it through an event with ids
and counts only (`referral.information_received`): the officers are notified and find a review
task in their inbox, and reassess if it calls for that. The partner's view of the referral
stays its minimal status.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from safeguard.attachments import store as attachment_store
from safeguard.auth.credentials import Caller
from safeguard.codes import Stage
from safeguard.db.pool import Connection
from safeguard.errors import ProblemError
from safeguard.events.contracts import InformationReceived
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.fieldcrypt.envelope import FieldRef
from safeguard.fieldcrypt.keyring import Keyring
from safeguard.outbox import enqueue
from services.intake import information_store as store
from services.intake.models import InformationAccepted, InformationCreate

SOURCE = "/services/intake"


@dataclass(frozen=True)
class Sent:
    """The answer, and whether it repeats an earlier one."""

    accepted: InformationAccepted
    replayed: bool


def unknown_referral() -> ProblemError:
    """Another client's referral reads exactly like one that does not exist."""
    return ProblemError(404, "Unknown referral", "No referral of yours has that reference.")


def closed_referral() -> ProblemError:
    """409: a closed referral takes nothing more; a new concern is a new referral."""
    return ProblemError(
        409,
        "The case has moved on",
        "This referral is closed: send a new referral if there is a new concern.",
    )


async def own_referral_or_404(
    conn: Connection, *, caller: Caller, reference: str
) -> asyncpg.Record:
    """The caller's own referral, open or closed; 404 if it is not theirs."""
    row = await store.own_referral(conn, reference=reference, client_id=caller.client_id)
    if row is None:
        raise unknown_referral()
    return row


async def open_referral(conn: Connection, *, caller: Caller, reference: str) -> asyncpg.Record:
    """The caller's own referral, still open; 404 or 409 otherwise."""
    row = await store.own_referral(conn, reference=reference, client_id=caller.client_id)
    if row is None:
        raise unknown_referral()
    if row["closed_at"] is not None or row["redacted_at"] is not None:
        raise closed_referral()
    return row


def request_hash(body: InformationCreate) -> bytes:
    """SHA-256 of the body's canonical JSON."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).digest()


async def send_information(
    conn: Connection,
    *,
    caller: Caller,
    reference: str,
    body: InformationCreate,
    idempotency_key: str | None,
    keyring: Keyring,
) -> Sent:
    """Store the information once per key and tell the case, in one transaction (on the
    request's own connection)."""
    body_hash = request_hash(body)
    key = idempotency_key if idempotency_key is not None else f"body:{body_hash.hex()}"
    information_id = uuid.uuid4()
    async with conn.transaction():
        referral = await store.own_referral(conn, reference=reference, client_id=caller.client_id)
        if referral is None:
            raise unknown_referral()
        claimed = await store.claim(
            conn,
            information_id=information_id,
            referral_id=referral["id"],
            client_id=caller.client_id,
            key=key,
            request_hash=body_hash,
        )
        if not claimed:
            return Sent(
                _replay(
                    await store.earlier(conn, client_id=caller.client_id, key=key),
                    body_hash,
                    reference,
                ),
                replayed=True,
            )
        if referral["closed_at"] is not None or referral["redacted_at"] is not None:
            raise closed_referral()
        accepted = await _keep(conn, referral, information_id, body, caller, keyring)
    return Sent(accepted, replayed=False)


async def _keep(
    conn: Connection,
    referral: asyncpg.Record,
    information_id: UUID,
    body: InformationCreate,
    caller: Caller,
    keyring: Keyring,
) -> InformationAccepted:
    ids = list(dict.fromkeys(body.attachment_ids))
    linked = await attachment_store.attach_to_information(
        conn,
        referral_id=referral["id"],
        uploaded_by=caller.client_id,
        ids=ids,
        information_id=information_id,
    )
    if linked != len(ids):
        raise ProblemError(
            422,
            "Unknown attachments",
            "Name only files you uploaded to this referral that no other information brought.",
        )
    data_key = await keyring.key(conn, referral["id"])
    sealed = data_key.seal(
        body.text.encode(), FieldRef("intake.information", "text", information_id)
    )
    received_at = await store.complete(
        conn, information_id=information_id, text_sealed=sealed, attachment_ids=ids
    )
    event = InformationReceived(
        referral_id=referral["id"],
        reference=referral["reference"],
        stage=Stage.SUBMITTED,
        area=referral["area"],
        information_id=information_id,
        attachments=len(ids),
    )
    envelope = event.envelope(event_id=uuid.uuid4(), source=SOURCE, time=datetime.now(UTC))
    await enqueue(conn, envelope, topic=REFERRAL_EVENTS)
    return InformationAccepted(
        id=information_id,
        reference=referral["reference"],
        received_at=received_at,
        attachment_ids=ids,
    )


def _replay(
    earlier: asyncpg.Record | None, body_hash: bytes, reference: str
) -> InformationAccepted:
    if earlier is None:
        raise ProblemError(409, "Idempotency key in use", "Retry the request.")
    if earlier["request_hash"] != body_hash or earlier["reference"] != reference:
        raise ProblemError(
            422,
            "Idempotency key reused",
            "This Idempotency-Key was already used with a different request.",
        )
    return InformationAccepted(
        id=earlier["id"],
        reference=earlier["reference"],
        received_at=earlier["received_at"],
        attachment_ids=list(earlier["attachment_ids"]),
    )
