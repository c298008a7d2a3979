"""SQL of the intake service (schema `intake`): referrals, links and idempotency keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from safeguard.db.pool import Connection
from safeguard.fieldcrypt.keyring import NewDataKey, destroy_data_key
from safeguard.fieldcrypt.keys import wrapped_version
from services.intake import start_wakeup
from workflows.referral.models import SubmittingAgency
from workflows.referral.workflows import WORKFLOW_ID_PREFIX

# The service's name in the keyring: its data keys are intake's own.
SERVICE = "intake"


@dataclass(frozen=True)
class NewReferral:
    """Everything stored when a referral is accepted."""

    referral_id: UUID
    reference: str
    client_id: str
    received_at: datetime
    sector: str
    concern_type: str
    area: str
    age_at_referral: int
    # The form's gender code (not_known when not given), for the statistics.
    gender: str
    # The blind index of the person (services/intake/linking.py), and the sealed form.
    person_key: bytes
    form_sealed: bytes


@dataclass(frozen=True)
class PendingStart:
    """What starting a referral's workflow needs (ids and codes, plus the DOB, which the
    payload codec encrypts in Temporal)."""

    referral_id: UUID
    reference: str
    sector: str
    concern_type: str
    received_at: datetime
    area: str
    date_of_birth: dt.date | None
    linked_referral_ids: list[UUID]
    agency: SubmittingAgency | None


@dataclass(frozen=True)
class Accepted:
    """What `accept` did: stored a new referral, or found the key's earlier one."""

    reference: str | None
    replayed: bool
    earlier_hash: bytes | None


async def accept(
    conn: Connection,
    *,
    referral: NewReferral,
    idempotency_key: str,
    request_hash: bytes,
    data_key: NewDataKey,
    announcement: str,
) -> Accepted:
    """Store a referral in one round trip (migration 0034's `intake.accept_referral`).

    In its own transaction: claim the key (or answer with the referral it already made), keep
    the case's data key, link the person's earlier referrals (serialised per person, so two
    referrals of one person at the same moment still link), issue the reference, store the
    referral with its workflow's start due at once, and wake the starters with
    `announcement` on commit. A concurrent claim of the same key waits on the first and then
    finds its answer, so concurrent duplicates make one referral.
    """
    row = await conn.fetchrow(
        "SELECT o_reference, o_replayed, o_earlier_hash FROM intake.accept_referral("
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        referral.referral_id,
        referral.client_id,
        idempotency_key,
        request_hash,
        referral.received_at,
        referral.sector,
        referral.concern_type,
        referral.area,
        referral.age_at_referral,
        referral.gender,
        referral.person_key,
        referral.form_sealed,
        WORKFLOW_ID_PREFIX,
        SERVICE,
        data_key.wrapped,
        None if data_key.wrapped is None else wrapped_version(data_key.wrapped),
        start_wakeup.CHANNEL,
        announcement,
    )
    assert row is not None  # noqa: S101 - the function always returns its one row
    return Accepted(row["o_reference"], row["o_replayed"], row["o_earlier_hash"])


async def mark_started(conn: Connection, *, referral_ids: list[UUID]) -> None:
    """Record that the referrals' workflows exist."""
    await conn.execute(
        "UPDATE intake.referrals SET workflow_started_at = coalesce(workflow_started_at, now()),"
        " next_start_at = NULL WHERE id = ANY($1::uuid[])",
        referral_ids,
    )


async def retry_start_after(
    conn: Connection, *, referral_ids: list[UUID], delay: timedelta
) -> None:
    """Put referrals back in the start queue, due after `delay`."""
    await conn.execute(
        "UPDATE intake.referrals SET next_start_at = now() + $2::interval"
        " WHERE id = ANY($1::uuid[]) AND workflow_started_at IS NULL",
        referral_ids,
        delay,
    )


async def claim_due_starts(
    conn: Connection, *, limit: int, lease: timedelta
) -> list[asyncpg.Record]:
    """Take up to `limit` referrals whose start is due, leasing them to this starter.

    Rows carry the sealed form: `services.intake.sealed.pending_start` opens the DOB.
    """
    rows = await conn.fetch(
        "WITH due AS (SELECT id FROM intake.referrals"
        "   WHERE workflow_started_at IS NULL AND next_start_at <= now()"
        "   ORDER BY next_start_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " UPDATE intake.referrals r SET next_start_at = now() + $2::interval,"
        "   start_attempts = r.start_attempts + 1"
        " FROM due WHERE r.id = due.id"
        " RETURNING r.id, r.reference, r.sector, r.concern_type, r.received_at, r.area,"
        "   r.form_sealed, r.form, r.client_id,"
        "   (SELECT a.name FROM intake.agencies a WHERE a.client_id = r.client_id) AS agency_name,"
        "   ARRAY(SELECT l.linked_referral_id FROM intake.referral_links l"
        "     WHERE l.referral_id = r.id) AS linked",
        limit,
        lease,
    )
    return sorted(rows, key=lambda row: row["received_at"])


def pending(row: asyncpg.Record, *, date_of_birth: dt.date | None) -> PendingStart:
    """A claimed row as the starter needs it, with the DOB opened from its form."""
    return PendingStart(
        referral_id=row["id"],
        reference=row["reference"],
        sector=row["sector"],
        concern_type=row["concern_type"],
        received_at=row["received_at"],
        area=row["area"],
        date_of_birth=date_of_birth,
        linked_referral_ids=list(row["linked"]),
        # Referrals accepted before clients were registered have none.
        agency=SubmittingAgency(client_id=row["client_id"], name=row["agency_name"])
        if row["client_id"]
        else None,
    )


async def status_row(conn: Connection, *, reference: str, client_id: str) -> asyncpg.Record | None:
    """The status columns of a referral, if the client submitted it."""
    return await conn.fetchrow(
        "SELECT reference, received_at, workflow_started_at, closed_at, redacted_at"
        " FROM intake.referrals WHERE reference = $1 AND client_id = $2",
        reference,
        client_id,
    )


async def contacts_row(conn: Connection, *, referral_id: UUID) -> asyncpg.Record | None:
    """The sealed form and submitting client of a referral."""
    return await conn.fetchrow(
        "SELECT id, client_id, form_sealed, form, redacted_at FROM intake.referrals WHERE id = $1",
        referral_id,
    )


async def referral_row(conn: Connection, *, referral_id: UUID) -> asyncpg.Record | None:
    """A referral's reference, dates, area and sealed form (None once redacted)."""
    return await conn.fetchrow(
        "SELECT id, reference, received_at, area, form_sealed, form, redacted_at"
        " FROM intake.referrals WHERE id = $1",
        referral_id,
    )


async def linked_rows(conn: Connection, *, referral_id: UUID) -> list[asyncpg.Record]:
    """The earlier referrals of the same person linked at intake, oldest first."""
    return await conn.fetch(
        "SELECT r.id AS referral_id, r.reference, r.received_at"
        " FROM intake.referral_links l JOIN intake.referrals r ON r.id = l.linked_referral_id"
        " WHERE l.referral_id = $1 ORDER BY r.received_at, r.id",
        referral_id,
    )


async def mark_closed(conn: Connection, *, referral_id: UUID, at: datetime) -> None:
    """The case closed."""
    await conn.execute(
        "UPDATE intake.referrals SET closed_at = $2,"
        " workflow_started_at = coalesce(workflow_started_at, $2) WHERE id = $1",
        referral_id,
        at,
    )


async def mark_reopened(conn: Connection, *, referral_id: UUID) -> None:
    """Concerns re-opened the case."""
    await conn.execute(
        "UPDATE intake.referrals SET closed_at = NULL WHERE id = $1 AND redacted_at IS NULL",
        referral_id,
    )


async def redact(conn: Connection, *, referral_id: UUID, at: datetime) -> None:
    """Erase the personal data of a referral; keep its reference, dates and codes.

    The case's data key is destroyed too, so the sealed form in backups and WAL archives is
    lost with it once the KEK versions that wrapped the key are retired.
    """
    await conn.execute(
        "UPDATE intake.referrals SET form = NULL, form_sealed = NULL, person_key = NULL,"
        " age_at_referral = NULL, gender = NULL,"
        " redacted_at = coalesce(redacted_at, $2), closed_at = coalesce(closed_at, $2)"
        " WHERE id = $1",
        referral_id,
        at,
    )
    # Client-chosen keys and body hashes could themselves identify the person.
    await conn.execute("DELETE FROM intake.idempotency_keys WHERE referral_id = $1", referral_id)
    await destroy_data_key(conn, service=SERVICE, owner=referral_id)
