"""The coarse facts the statistics count by, for the statistics service only.

Age at referral (whole years, derived at intake; the date of birth never leaves) and the gender
code, many referrals per call. Each referral read is in the access log. Referrals stored before
intake kept the gender code beside the form have it read from the sealed form once, and kept.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from safeguard.access_log import record_service_reads
from safeguard.auth.service_deps import require_permission
from safeguard.auth.service_identity import Permission, ServicePrincipal
from safeguard.db.pool import Connection
from safeguard.fieldcrypt.keyring import Keyring
from safeguard.fieldcrypt.setup import FieldsDep
from safeguard.web import PoolDep
from services.intake import store
from services.intake.sealed import open_form

facts_router = APIRouter(prefix="/internal/v1", include_in_schema=False)
FactsReader = Annotated[
    ServicePrincipal, Depends(require_permission(Permission.REFERRAL_FACTS_READ))
]
MAX_BATCH = 500
_FIELDS = ("age_at_referral", "gender")


class FactsQuery(BaseModel):
    """Which referrals."""

    referral_ids: list[UUID] = Field(min_length=1, max_length=MAX_BATCH)


class ReferralFacts(BaseModel):
    """One referral's facts; both None once it is redacted (`redacted` true)."""

    referral_id: UUID
    age_at_referral: int | None
    gender: str | None
    redacted: bool


class FactsAnswer(BaseModel):
    """The facts of the referrals intake holds (unknown ids are left out)."""

    facts: list[ReferralFacts]


@facts_router.post("/referral-facts")
async def referral_facts(
    query: FactsQuery, caller: FactsReader, pool: PoolDep, fields: FieldsDep
) -> FactsAnswer:
    """Age at referral and gender code of many referrals, each read logged."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT id, age_at_referral, gender, redacted_at, form_sealed, form"
            " FROM intake.referrals WHERE id = ANY($1::uuid[])",
            query.referral_ids,
        )
        facts = [await _facts(conn, fields.keyring, row) for row in rows]
        read = [f.referral_id for f in facts if not f.redacted]
        if read:
            await record_service_reads(
                conn,
                service=store.SERVICE,
                caller=caller,
                referral_ids=read,
                fields=_FIELDS,
                purpose=Permission.REFERRAL_FACTS_READ.value,
            )
    return FactsAnswer(facts=facts)


async def _facts(conn: Connection, keyring: Keyring, row: asyncpg.Record) -> ReferralFacts:
    redacted = row["redacted_at"] is not None
    gender = row["gender"]
    if gender is None and not redacted and (row["form_sealed"] or row["form"]):
        gender = await _gender_from_form(conn, keyring, row)
    return ReferralFacts(
        referral_id=row["id"],
        age_at_referral=None if redacted else row["age_at_referral"],
        gender=None if redacted else gender,
        redacted=redacted,
    )


async def _gender_from_form(conn: Connection, keyring: Keyring, row: asyncpg.Record) -> str:
    """The gender code in an older referral's form, kept beside it from now on."""
    form = await open_form(conn, keyring, row)
    gender = str(((form or {}).get("person") or {}).get("gender") or "not_known")
    await conn.execute("UPDATE intake.referrals SET gender = $2 WHERE id = $1", row["id"], gender)
    return gender
