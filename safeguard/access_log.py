"""The access log: every read of case data is recorded with its stated purpose."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from fastapi import Header

from safeguard.audit.chain import Entry, append
from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection
from safeguard.errors import ProblemError


def stated_purpose(
    x_purpose: Annotated[
        str | None, Header(description="Why case data is being read, for the access log.")
    ] = None,
) -> str:
    """The purpose the caller gave in `X-Purpose`; reads of case data require one."""
    purpose = (x_purpose or "").strip()
    if not 3 <= len(purpose) <= 200:
        raise ProblemError(
            400, "Purpose required", "State why you are reading this case in X-Purpose."
        )
    return purpose


async def record_read(
    conn: Connection,
    *,
    service: str,
    principal: StaffPrincipal,
    referral_id: UUID | None,
    fields: Sequence[str],
    purpose: str,
) -> None:
    """Record a read in the caller's transaction (so no data leaves unlogged), and chain it."""
    await conn.execute(
        "INSERT INTO audit.access_log (service, subject, role, referral_id, fields, purpose)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        service,
        principal.subject,
        principal.role,
        referral_id,
        list(fields),
        purpose,
    )
    # The access log answers "who read this case"; the chain makes that answer tamper-evident.
    await append(
        conn,
        Entry(
            kind="read",
            action=f"{service}.read",
            actor=principal.subject,
            role=principal.role,
            referral_id=referral_id,
            detail={"fields": list(fields), "purpose": purpose},
        ),
    )
