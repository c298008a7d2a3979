"""Sealing forms stored in plain text before field encryption, when intake starts.

Each such referral gets a data key and a sealed form, and its person key is recomputed as a
blind index, so re-referrals still link to it. The plain text leaves the live table at once;
its old row versions stay in the table's free space until `VACUUM FULL intake.referrals`
rewrites it (README, "Personal data at rest").
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from safeguard.db.pool import Pool
from safeguard.fieldcrypt.setup import FieldCrypto
from services.intake.linking import person_key
from services.intake.sealed import seal_form

logger = logging.getLogger(__name__)

_BATCH = 100


async def seal_legacy_forms(pool: Pool, fields: FieldCrypto) -> int:
    """Seal every plain form left; return how many were sealed."""
    sealed = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, form FROM intake.referrals WHERE form IS NOT NULL"
                " AND form_sealed IS NULL LIMIT $1 FOR UPDATE SKIP LOCKED",
                _BATCH,
            )
            for row in rows:
                key = await fields.keyring.key_or_new(conn, row["id"])
                await conn.execute(
                    "UPDATE intake.referrals SET form_sealed = $2, person_key = $3, form = NULL"
                    " WHERE id = $1",
                    row["id"],
                    seal_form(key, row["form"]),
                    _person_key(fields, row["form"]),
                )
        sealed += len(rows)
        if len(rows) < _BATCH:
            if sealed:
                logger.info("sealed %d referral form(s) stored before field encryption", sealed)
            return sealed


def _person_key(fields: FieldCrypto, form: dict[str, Any]) -> bytes:
    person = form["person"]
    return person_key(
        fields.blind_index,
        given_names=person["given_names"],
        family_name=person["family_name"],
        date_of_birth=dt.date.fromisoformat(person["date_of_birth"]),
    )
