"""The access log: every read of case data is recorded with its stated purpose.

The purpose is free text and may name the person, so the audit log's entry of the read holds
only a salted digest of it (`safeguard.audit.purposes`), and the text and salt, kept here, are
erased with the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import Header

from safeguard.audit import purposes
from safeguard.audit.log import entries
from safeguard.audit.log.entries import Entry
from safeguard.auth.service_identity import SERVICE_ROLE, ServicePrincipal
from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection
from safeguard.errors import ProblemError, documented_problem
from safeguard.openapi import may_answer

# 3 to 200 characters once surrounding white space is stripped, none of them a control character.
_TEXT = r"[^\u0000-\u001F\u007F-\u009F]"
_SPACE = r"[^\S\u0000-\u001F\u007F-\u009F]*"
_EDGE = r"[^\s\u0000-\u001F\u007F-\u009F]"
_PURPOSE = f"^{_SPACE}{_EDGE}{_TEXT}{{1,198}}{_EDGE}{_SPACE}$"


@may_answer(
    {400: documented_problem("No `X-Purpose`: every read of case data states why (it is logged).")},
    requires=("X-Purpose",),
)
async def stated_purpose(
    x_purpose: Annotated[
        str | None,
        Header(
            description="Why case data is being read, for the access log: 3 to 200 characters once"
            " surrounding white space is stripped, without control characters.",
            # Documentation of the check below, which answers 400 (not FastAPI's 422).
            json_schema_extra={"pattern": _PURPOSE},
        ),
    ] = None,
) -> str:
    """The purpose the caller gave in `X-Purpose`; reads of case data require one."""
    purpose = (x_purpose or "").strip()
    if not 3 <= len(purpose) <= 200:
        raise ProblemError(
            400, "Purpose required", "State why you are reading this case in X-Purpose."
        )
    return purpose


# A read's two rows as CTEs (`logged`: its audit-log entry; `accessed`: the access-log row that
# names it) to put in front of the statement that reads, so the read and its record are one
# statement: one round trip, and they commit together or not at all. Parameters $1 to $11 are
# `read_parameters(...)`; the reading statement numbers its own after them.
# A read of a case already erased keeps no purpose either: it is erased as it is written.
READ_RECORD = (
    f"logged AS ({entries.INSERT}), accessed AS (INSERT INTO audit.access_log"  # noqa: S608 - fixed SQL
    " (service, subject, role, referral_id, fields, purpose, purpose_salt, purpose_erased_at,"
    " log_entry_id)"
    " SELECT $8, $4, $5, $6, $9, CASE WHEN gone.at IS NULL THEN $10::text END,"
    " CASE WHEN gone.at IS NULL THEN $11::bytea END, gone.at, logged.id FROM logged"
    " LEFT JOIN (SELECT now() AS at FROM audit.cases"
    " WHERE referral_id = $6 AND redacted_at IS NOT NULL) AS gone ON true)"
)


def read_parameters(
    *,
    service: str,
    principal: StaffPrincipal,
    referral_id: UUID | None,
    fields: Sequence[str],
    purpose: str,
) -> tuple[Any, ...]:
    """The values of `READ_RECORD` for a staff member's read."""
    reader = (principal.subject, principal.role.value)
    return _parameters(service, reader, referral_id, fields, purpose)


async def record_read(
    conn: Connection,
    *,
    service: str,
    principal: StaffPrincipal,
    referral_id: UUID | None,
    fields: Sequence[str],
    purpose: str,
) -> None:
    """Record a read in the caller's transaction (so no data leaves unlogged), in the access
    log and the audit log."""
    reader = (principal.subject, principal.role.value)
    await _record(conn, _parameters(service, reader, referral_id, fields, purpose))


async def record_reader_read(
    conn: Connection,
    *,
    service: str,
    reader: tuple[str, str],
    referral_id: UUID,
    fields: Sequence[str],
    purpose: str,
) -> None:
    """Record a read by any reader named by (subject, role): a staff member, or a partner
    agency's client reading what it sent (role `partner`)."""
    await _record(conn, _parameters(service, reader, referral_id, fields, purpose))


async def record_service_read(
    conn: Connection,
    *,
    service: str,
    caller: ServicePrincipal,
    referral_id: UUID,
    fields: Sequence[str],
    purpose: str,
) -> None:
    """Record another service's read through `service`'s internal API: the reader is the
    calling service's client, its role `service`."""
    reader = (caller.client_id, SERVICE_ROLE)
    await _record(conn, _parameters(service, reader, referral_id, fields, purpose))


async def record_service_reads(
    conn: Connection,
    *,
    service: str,
    caller: ServicePrincipal,
    referral_ids: Sequence[UUID],
    fields: Sequence[str],
    purpose: str,
) -> None:
    """`record_service_read` for each of many referrals read in one answer, pipelined."""
    reader = (caller.client_id, SERVICE_ROLE)
    await conn.executemany(
        f"WITH {READ_RECORD} SELECT",
        [
            _parameters(service, reader, referral_id, fields, purpose)
            for referral_id in referral_ids
        ],
    )


def _parameters(
    service: str,
    reader: tuple[str, str],
    referral_id: UUID | None,
    fields: Sequence[str],
    purpose: str,
) -> tuple[Any, ...]:
    subject, role = reader
    salt, digest = purposes.commit(purpose)
    entry = Entry(
        kind="read",
        action=f"{service}.read",
        actor=subject,
        role=role,
        referral_id=referral_id,
        # Never the text: the tree cannot forget it (safeguard.audit.purposes).
        detail={"fields": list(fields), purposes.DIGEST: digest},
    )
    return (*entries.parameters(entry), service, list(fields), purpose, salt)


async def _record(conn: Connection, parameters: tuple[Any, ...]) -> None:
    # The access log answers "who read this case"; its entry in the audit log makes that answer
    # tamper-evident, and the row names the entry so the read can be proven. One statement,
    # one round trip: every read of case data pays for it.
    await conn.execute(f"WITH {READ_RECORD} SELECT", *parameters)
