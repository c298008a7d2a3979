"""The Prevent officers this service has seen: whom a task may be given to.

An officer becomes known when they use the service with a verified token, which names their
subject and areas; a task goes only to an officer known in its area and seen in the last 90
days. The identity provider stays the authority: each token refreshes the row (at most every
few minutes, so reading the inbox rarely writes).
"""

from __future__ import annotations

from safeguard.auth.staff import StaffPrincipal
from safeguard.codes import Role
from safeguard.db.pool import Connection

# Keep the officer's subject and areas as their token states them; `{0}` and `{1}` are the
# subject's and the areas' parameters. A row already as the token states it, and seen lately,
# is not touched at all: an upsert would lock it even when it changes nothing, and every
# concurrent request of the officer would queue on that lock. A CTE too (`seen`), so the
# inbox's one statement can carry it.
_SEEN = (
    "INSERT INTO assessment.officers (subject, areas) SELECT {0}::text, {1}::text[]"
    " WHERE NOT EXISTS (SELECT FROM assessment.officers WHERE subject = {0}::text"
    " AND areas = {1}::text[] AND seen_at >= now() - interval '5 minutes')"
    " ON CONFLICT (subject) DO UPDATE SET areas = EXCLUDED.areas, seen_at = now()"
    " WHERE officers.areas IS DISTINCT FROM EXCLUDED.areas"
    " OR officers.seen_at < now() - interval '5 minutes'"
)


def seen_cte(principal: StaffPrincipal, first: int) -> tuple[str, list[object]]:
    """`seen AS (...)` with parameters numbered from `first`, and their values; nothing for a
    caller who is not an officer."""
    if principal.role is not Role.PREVENT_OFFICER:
        return "", []
    sql = _SEEN.format(f"${first}", f"${first + 1}")
    return f"seen AS ({sql})", [principal.subject, list(principal.areas)]


async def seen(conn: Connection, principal: StaffPrincipal) -> None:
    """Keep the officer's subject and areas as their token states them."""
    if principal.role is not Role.PREVENT_OFFICER:
        return
    await conn.execute(_SEEN.format("$1", "$2"), principal.subject, list(principal.areas))


async def known_in(conn: Connection, subject: str, area: str) -> bool:
    """Whether `subject` is an officer of `area`, seen in the last 90 days."""
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM assessment.officers WHERE subject = $1"
        " AND $2 = ANY(areas) AND seen_at > now() - interval '90 days')",
        subject,
        area,
    )
    return found
