"""Sealing the panel's free text written before it was encrypted, when the panel starts.

Migration 0014 turned such text into `0x00 || UTF-8`; each value is sealed with its case's key
here, and a recorded step's detail sealed whole. As with intake's forms, old row versions keep
the plain text until `VACUUM FULL` rewrites the tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from safeguard.db.pool import Pool
from safeguard.fieldcrypt.keyring import Keyring
from services.panel.records import codes_of
from services.panel.sealing import place, writer

logger = logging.getLogger(__name__)

_REDACTED = "REDACTED"


@dataclass(frozen=True)
class _Column:
    table: str
    column: str
    # SQL for the owner (case or meeting) and the row reference the value is bound to.
    owner: str
    ref: str
    join: str = ""


_COLUMNS = (
    _Column("information_requests", "question", "t.referral_id", "t.id::text"),
    _Column("information_requests", "reply", "t.referral_id", "t.id::text"),
    _Column("vulnerability_assessments", "summary", "t.referral_id", "t.id::text"),
    _Column("item_contacts", "notes", "t.referral_id", "t.id::text"),
    _Column(
        "factor_ratings",
        "notes",
        "a.referral_id",
        "t.assessment_id::text || '/' || t.factor",
        " JOIN panel.vulnerability_assessments a ON a.id = t.assessment_id",
    ),
    _Column(
        "conflicts",
        "description",
        "coalesce(t.referral_id, t.meeting_id)",
        "t.meeting_id::text || '/' || t.attendee_id || '/' || coalesce(t.referral_id::text, '-')",
    ),
)


async def seal_legacy_text(pool: Pool, keyring: Keyring) -> int:
    """Seal every value left unsealed; return how many."""
    if not keyring.encrypt:
        return 0
    sealed = sum([await _seal_column(pool, keyring, column) for column in _COLUMNS])
    sealed += await _seal_details(pool, keyring)
    if sealed:
        logger.info("sealed %d panel text(s) stored before field encryption", sealed)
    return sealed


async def _seal_column(pool: Pool, keyring: Keyring, spec: _Column) -> int:
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            f"SELECT t.ctid AS at, {spec.owner} AS owner, {spec.ref} AS ref,"  # noqa: S608 - fixed specs
            f" t.{spec.column} AS value FROM panel.{spec.table} t{spec.join}"
            f" WHERE get_byte(t.{spec.column}, 0) = 0 FOR UPDATE OF t"
        )
        for row in rows:
            key = await writer(conn, keyring, row["owner"])
            text = bytes(row["value"][1:]).decode()
            await conn.execute(
                f"UPDATE panel.{spec.table} SET {spec.column} = $2 WHERE ctid = $1",  # noqa: S608
                row["at"],
                key.seal_text(text, place(spec.table, spec.column, row["ref"])),
            )
    return len(rows)


async def _seal_details(pool: Pool, keyring: Keyring) -> int:
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT a.id, a.referral_id, a.detail FROM panel.case_actions a"
            " JOIN panel.cases c ON c.referral_id = a.referral_id"
            " WHERE a.detail_sealed IS NULL AND c.stage <> $1 FOR UPDATE OF a",
            _REDACTED,
        )
        for row in rows:
            key = await writer(conn, keyring, row["referral_id"])
            await conn.execute(
                "UPDATE panel.case_actions SET detail = $2, detail_sealed = $3 WHERE id = $1",
                row["id"],
                codes_of(row["detail"]),
                key.seal_json(row["detail"], place("case_actions", "detail", row["id"])),
            )
    return len(rows)
