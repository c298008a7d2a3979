"""The referral form at rest: sealed with the case's intake data key.

Rows written before field encryption hold the form in plain `form` until `safeguard keys
seal-plaintext` seals them; reading still accepts them meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from uuid import UUID

import asyncpg

from safeguard.db.pool import Connection
from safeguard.fieldcrypt.envelope import DataKey, FieldRef
from safeguard.fieldcrypt.keyring import Keyring, MissingKeyError
from safeguard.fieldcrypt.keys import KeyDestroyedError
from services.intake import store
from services.intake.store import PendingStart

logger = logging.getLogger(__name__)


def form_ref(referral_id: UUID) -> FieldRef:
    """Where a referral's sealed form lives."""
    return FieldRef("intake.referrals", "form", referral_id)


def seal_form(key: DataKey, form: dict[str, Any]) -> bytes:
    """The form sealed with its case's key."""
    return key.seal_json(form, form_ref(key.owner))


async def open_form(
    conn: Connection, keyring: Keyring, row: asyncpg.Record
) -> dict[str, Any] | None:
    """The row's form, opened; None once erased (no form, or its key destroyed)."""
    if row["form_sealed"] is None:
        legacy: dict[str, Any] | None = row["form"]
        return legacy
    try:
        key = await keyring.key(conn, row["id"])
    except (KeyDestroyedError, MissingKeyError):
        return None
    form: dict[str, Any] = key.open_json(row["form_sealed"], form_ref(row["id"]))
    return form


async def pending_start(conn: Connection, keyring: Keyring, row: asyncpg.Record) -> PendingStart:
    """A claimed start with the date of birth its workflow needs, opened from the form."""
    form = await open_form(conn, keyring, row)
    born = (form or {}).get("person", {}).get("date_of_birth")
    if form is None:
        logger.warning("referral %s has no readable form to start from", row["id"])
    return store.pending(row, date_of_birth=dt.date.fromisoformat(born) if born else None)
