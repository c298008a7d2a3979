"""Server-side sessions: the cookie holds only a random id; the rest stays in PostgreSQL.

Each row is keyed by the SHA-256 of the id and sealed with AES-GCM (the id hash is the
associated data, so a sealed row moved to another key does not open). A session ends after
`session_idle_minutes` without a request, or `session_max_hours` after it began.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, Field

from safeguard.db.pool import Pool
from safeguard.settings import WebSettings

logger = logging.getLogger(__name__)

COOKIE = "safeguard_session"
# Writing last_seen on every request would make each page a database write; a minute is
# fine-grained enough for a 30-minute idle limit.
_TOUCH_EVERY = timedelta(seconds=60)


class LoginState(BaseModel):
    """What the sign-in redirect must find again when the user comes back."""

    state: str
    nonce: str
    code_verifier: str
    return_to: str = "/"


class SignedIn(BaseModel):
    """The signed-in person, from their ID token, and the tokens the pages call APIs with."""

    subject: str
    name: str
    role: str
    areas: list[str] = Field(default_factory=list)
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None = None
    id_token: str


class ConsentHolder(BaseModel):
    """A consent link's holder whose details checked out, and the link's state then."""

    reference: str
    date_of_birth: str
    route: Literal["person", "guardian"]
    state: str
    can_withdraw: bool = False


class SessionData(BaseModel):
    """Everything a session holds."""

    csrf_token: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    login: LoginState | None = None
    user: SignedIn | None = None
    # A message for the next page (a GOV.UK notification banner), shown once.
    flash: str | None = None
    # A refusal to show on the next page in its error summary (after a redirect).
    flash_error: str | None = None
    # What the user typed into a decision form, kept until it is sent, so nothing is lost
    # between the form, the check-your-answers page and a refusal (keyed "reference/form").
    drafts: dict[str, dict[str, str]] = Field(default_factory=dict)
    # The public pages' chosen language ("en" or "cy"), and per consent link (keyed by the
    # token's SHA-256, so the session never holds a link) the checked holder and what was sent.
    language: str | None = None
    consent_holders: dict[str, ConsentHolder] = Field(default_factory=dict)
    consent_sent: dict[str, Literal["given", "refused", "withdrawn"]] = Field(default_factory=dict)


@dataclass
class Session:
    """One request's session: its id (None until first saved) and data."""

    id: str | None
    data: SessionData
    changed: bool = False
    ended: bool = False

    def mark(self) -> None:
        """Note a change, so the session is written back after the response."""
        self.changed = True


def _id_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


class SessionStore:
    """Loads, saves and ends sessions."""

    def __init__(self, pool: Pool, settings: WebSettings) -> None:
        self._pool = pool
        self._aead = AESGCM(base64.b64decode(settings.session_key.get_secret_value()))
        self._idle = timedelta(minutes=settings.session_idle_minutes)
        self._max_age = timedelta(hours=settings.session_max_hours)

    def _seal(self, id_hash: bytes, data: SessionData) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, data.model_dump_json().encode(), id_hash)

    def _open(self, id_hash: bytes, sealed: bytes) -> SessionData:
        plain = self._aead.decrypt(sealed[:12], sealed[12:], id_hash)
        return SessionData.model_validate_json(plain)

    async def load(self, session_id: str | None) -> Session | None:
        """The live session with this id, or None (unknown, idle too long, or too old)."""
        if not session_id:
            return None
        id_hash = _id_hash(session_id)
        row = await self._pool.fetchrow(
            "SELECT sealed, last_seen_at, expires_at FROM web.sessions WHERE id_hash = $1",
            id_hash,
        )
        now = datetime.now(UTC)
        if row is None or row["expires_at"] <= now or row["last_seen_at"] + self._idle <= now:
            return None
        if now - row["last_seen_at"] >= _TOUCH_EVERY:
            await self._pool.execute(
                "UPDATE web.sessions SET last_seen_at = $2 WHERE id_hash = $1", id_hash, now
            )
        return Session(id=session_id, data=self._open(id_hash, row["sealed"]))

    async def save(self, session: Session) -> str:
        """Write the session back (a new one gets its id now); its id."""
        if session.id is None:
            session.id = secrets.token_urlsafe(32)
        id_hash = _id_hash(session.id)
        await self._pool.execute(
            "INSERT INTO web.sessions (id_hash, sealed, expires_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (id_hash) DO UPDATE SET sealed = $2, last_seen_at = now()",
            id_hash,
            self._seal(id_hash, session.data),
            datetime.now(UTC) + self._max_age,
        )
        return session.id

    async def end(self, session_id: str) -> None:
        """Forget the session."""
        await self._pool.execute(
            "DELETE FROM web.sessions WHERE id_hash = $1", _id_hash(session_id)
        )

    async def rotate(self, session: Session) -> None:
        """Give the session a new id (after sign-in), so an id planted before it is useless."""
        if session.id is not None:
            await self.end(session.id)
        session.id = None
        session.mark()

    async def purge_expired(self) -> int:
        """Delete sessions past their end; how many."""
        cutoff = datetime.now(UTC) - self._idle
        result = await self._pool.execute(
            "DELETE FROM web.sessions WHERE expires_at <= now() OR last_seen_at <= $1", cutoff
        )
        return int(result.rsplit(" ", 1)[-1])


async def purge_periodically(store: SessionStore, *, every_seconds: float = 600.0) -> None:
    """Delete ended sessions now and then, so sealed tokens do not outlive their session."""
    while True:
        try:
            await store.purge_expired()
        except (OSError, asyncpg.PostgresError) as error:
            # The next round tries again; a database outage must not end the site.
            logger.warning("could not purge ended sessions: %s", type(error).__name__)
        await asyncio.sleep(every_seconds)
