"""The purpose a reader states, committed to in the audit log and erasable with the case.

The audit log's leaves are hashed into signed checkpoints, so nothing written there can be
taken back. A read's entry therefore holds only `purpose_digest`, an HMAC-SHA256 of the text
keyed by a random salt; the text and the salt stay in `audit.access_log`. While both are there
anyone can check that the purpose shown is the one logged; once the case is erased both are
deleted, and the digest (of a salt nobody has) reveals nothing, while every proof still holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from uuid import UUID

from safeguard.db.pool import Connection

# The key of `detail` that holds the commitment in a read's log entry (before migration 0033
# the entry held the text itself, under `purpose`).
DIGEST = "purpose_digest"


def digest(salt: bytes, purpose: str) -> str:
    """The commitment to `purpose` under `salt`, as the log entry keeps it."""
    return hmac.new(salt, purpose.encode(), hashlib.sha256).hexdigest()


def commit(purpose: str) -> tuple[bytes, str]:
    """A fresh salt for `purpose` and the digest the log entry holds."""
    salt = secrets.token_bytes(32)
    return salt, digest(salt, purpose)


def matches(committed: str, salt: bytes, purpose: str) -> bool:
    """Whether `purpose` under `salt` is what the log entry committed to."""
    return hmac.compare_digest(committed, digest(salt, purpose))


async def erase(conn: Connection, referral_id: UUID) -> int:
    """The case is erased: forget the stated purposes of its reads and their salts; return how
    many reads lost theirs. Who read which fields when stays, as does each entry's digest."""
    status: str = await conn.execute(
        "UPDATE audit.access_log SET purpose = NULL, purpose_salt = NULL,"
        " purpose_erased_at = now() WHERE referral_id = $1 AND purpose_erased_at IS NULL",
        referral_id,
    )
    return int(status.split()[-1])
