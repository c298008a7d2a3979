"""The panel's free text at rest: sealed with the case's panel data key (safeguard/fieldcrypt).

Questions and replies, assessment summaries and notes, providers' notes, declared conflicts and
the free text of recorded steps may name the person and their family, so they are stored only
sealed. A conflict declared for a whole meeting (no case) is sealed with a key of the meeting.
Once a case is erased its key is gone and its text reads as absent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from safeguard.db.pool import Connection
from safeguard.fieldcrypt.envelope import DataKey, FieldRef
from safeguard.fieldcrypt.keyring import Keyring, MissingKeyError
from safeguard.fieldcrypt.keys import KeyDestroyedError

SERVICE = "panel"


def place(table: str, column: str, row: object) -> FieldRef:
    """Where a sealed value of the panel lives."""
    return FieldRef(f"panel.{table}", column, str(row))


async def writer(conn: Connection, keyring: Keyring, owner: UUID) -> DataKey:
    """The owner's key for sealing, made now if it has none."""
    return await keyring.key_or_new(conn, owner)


async def readers(
    conn: Connection, keyring: Keyring, owners: Iterable[UUID]
) -> dict[UUID, DataKey | None]:
    """Each owner's key for opening; None where there is none (never written, or erased)."""
    found: dict[UUID, DataKey | None] = {}
    for owner in set(owners):
        try:
            found[owner] = await keyring.key(conn, owner)
        except (MissingKeyError, KeyDestroyedError):
            found[owner] = None
    return found


def opened(key: DataKey | None, sealed: bytes | None, where: FieldRef) -> str | None:
    """A sealed text opened; None if there is none or its key is gone."""
    if key is None or sealed is None:
        return None
    return key.open_text(sealed, where)


def opened_detail(
    key: DataKey | None, row: Any, clear: dict[str, Any], sealed: bytes | None
) -> dict[str, Any]:
    """A recorded step's detail: the sealed whole if it opens, else the codes kept in clear."""
    if key is None or sealed is None:
        return clear
    detail: dict[str, Any] = key.open_json(sealed, place("case_actions", "detail", row))
    return detail
