"""Single-use, expiring consent links: the person or guardian's way to answer a consent request.

The notifications service asks for a link when it sends a consent request (or reminder) and
puts it in the message. The link is the credential: whoever holds it proves who they are with
the case's reference and the person's date of birth, then answers once. Only the SHA-256 of
the token is stored. Answering expires with the link; withdrawing consent given through (or
since) the link does not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field
from temporalio.client import Client

from safeguard.auth.staff import StaffPrincipal
from safeguard.codes import ConsentRoute, Role
from safeguard.db.pool import Connection, Pool
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.keyring import Keyring
from safeguard.intake_client import ReferralClient, StoredReferral
from safeguard.settings import PanelSettings
from services.panel import cases
from services.panel.access import CONSENT_SUBJECT_PREFIX
from services.panel.models import AnsweredBy, Body, ConsentAnswerCreate, ConsentWithdrawalCreate

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
# A token longer than this was never issued here: refused before it is hashed.
_MAX_TOKEN_LENGTH = 128
ADULT_AGE = 18

LinkState = Literal["awaiting_answer", "given", "refused", "withdrawn"]
Purpose = Literal["verify", "answer", "withdraw"]


class ConsentLinkCreate(Body):
    """Which case's consent request the link answers (internal)."""

    referral_id: UUID


class ConsentLinkIssued(BaseModel):
    """A new link's token (shown once, never stored) and when answering through it ends."""

    token: str
    expires_at: dt.datetime


class LinkDetails(Body):
    """What the person or guardian knows: the case's reference and the person's birth date."""

    reference: Annotated[str, Field(min_length=1, max_length=40)]
    date_of_birth: dt.date


class LinkAnswer(LinkDetails):
    """The answer to the consent request."""

    answer: Literal["given", "refused"]


class LinkView(BaseModel):
    """What the consent pages may show: nothing of the case beyond this."""

    reference: str
    route: Literal["person", "guardian"]
    state: LinkState
    can_withdraw: bool
    expires_at: dt.datetime


class Acknowledged(BaseModel):
    """The answer was recorded."""

    acknowledged: Literal[True] = True


def token_hash(token: str) -> bytes:
    """What is stored of a token."""
    return hashlib.sha256(token.encode()).digest()


async def issue(pool: Pool, settings: PanelSettings, referral_id: UUID) -> ConsentLinkIssued:
    """A new link for the case; any older link not yet answered stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.consent_link_days)
    link_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        # One issuer at a time per case, so exactly one unused link survives.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(referral_id)
        )
        await conn.execute(
            "UPDATE panel.consent_links SET superseded_at = now() WHERE referral_id = $1"
            " AND answered_at IS NULL AND superseded_at IS NULL",
            referral_id,
        )
        await conn.execute(
            "INSERT INTO panel.consent_links (id, referral_id, token_hash, expires_at)"
            " VALUES ($1, $2, $3, $4)",
            link_id,
            referral_id,
            token_hash(token),
            expires_at,
        )
    logger.info("consent link %s issued", link_id)
    return ConsentLinkIssued(token=token, expires_at=expires_at)


@dataclass(frozen=True)
class Verified:
    """A link whose holder gave the right details, and the case it is for."""

    link: asyncpg.Record
    referral: StoredReferral
    state: LinkState


class ConsentLinks:
    """The public side: verify the holder, then answer or withdraw through the case's workflow."""

    def __init__(
        self,
        pool: Pool,
        temporal: Client,
        referrals: ReferralClient,
        settings: PanelSettings,
        keyring: Keyring,
    ) -> None:
        self._pool = pool
        self._keyring = keyring
        self._temporal = temporal
        self._referrals = referrals
        self._settings = settings

    async def verify(self, token: str, details: LinkDetails) -> LinkView:
        """The link's state for its holder."""
        found = await self._verified(token, details, "verify")
        async with self._pool.acquire() as conn:
            route = await _route(conn, found.referral)
        return LinkView(
            reference=found.referral.reference,
            route=route,
            state=found.state,
            can_withdraw=found.state == "given",
            expires_at=found.link["expires_at"],
        )

    async def answer(self, token: str, body: LinkAnswer) -> Acknowledged:
        """Record the answer on the case, once per link."""
        found = await self._verified(token, body, "answer")
        link_id = found.link["id"]
        async with self._pool.acquire() as conn:
            route = await _route(conn, found.referral)
            claimed = await conn.fetchval(
                "UPDATE panel.consent_links SET answered_at = now(), answer = $2"
                " WHERE id = $1 AND answered_at IS NULL RETURNING id",
                link_id,
                body.answer,
            )
        if claimed is None:
            raise _already_answered()
        try:
            await cases.record_consent(
                self._pool,
                self._temporal,
                keyring=self._keyring,
                principal=_holder(found.referral.reference),
                reference=found.referral.reference,
                body=ConsentAnswerCreate(
                    decision=body.answer, method="portal", answered_by=_answered_by(route)
                ),
            )
        except BaseException:
            # The case did not take the answer: the link may be used again.
            async with self._pool.acquire() as conn:
                await conn.execute(
                    "UPDATE panel.consent_links SET answered_at = NULL, answer = NULL"
                    " WHERE id = $1",
                    link_id,
                )
            raise
        logger.info("consent link %s answered", link_id)
        return Acknowledged()

    async def withdraw(self, token: str, details: LinkDetails) -> Acknowledged:
        """Withdraw consent given through or since the link (possible after it expired)."""
        found = await self._verified(token, details, "withdraw")
        if found.state != "given":
            raise ProblemError(
                409,
                "Nothing to withdraw",
                "Consent has not been given through this link or since it was sent.",
                state=found.state,
            )
        await cases.withdraw_consent(
            self._pool,
            self._temporal,
            keyring=self._keyring,
            principal=_holder(found.referral.reference),
            reference=found.referral.reference,
            body=ConsentWithdrawalCreate(),
        )
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE panel.consent_links SET withdrawn_at = now() WHERE id = $1",
                found.link["id"],
            )
        logger.info("consent link %s: consent withdrawn", found.link["id"])
        return Acknowledged()

    async def _verified(self, token: str, details: LinkDetails, purpose: Purpose) -> Verified:
        """The link, checked in this order: valid (404), not locked (423), usable (409/410),
        then the holder's details (422, and 423 once they were wrong too often)."""
        async with self._pool.acquire() as conn:
            link = await _link(conn, token)
            state = await _state(conn, link)
        if link["locked_at"] is not None:
            raise _locked()
        expired = link["expires_at"] <= dt.datetime.now(dt.UTC)
        if purpose == "answer" and link["answered_at"] is not None:
            raise _already_answered()
        # Answering ends at expiry; consent given can still be withdrawn (and shown as such).
        if expired and (purpose == "answer" or (purpose == "verify" and state != "given")):
            raise ProblemError(
                410,
                "Link expired",
                f"The link expired on {link['expires_at']:%d %B %Y}; ask for a new one.",
            )
        referral = await self._referral(link["referral_id"])
        if not _matches(details, referral):
            await self._wrong_details(link["id"])
        return Verified(link=link, referral=referral, state=state)

    async def _referral(self, referral_id: UUID) -> StoredReferral:
        fetched = await self._referrals.fetch(referral_id)
        if fetched.referral is not None:
            return fetched.referral
        gap = fetched.gap or ""
        if gap.startswith("redacted") or gap.endswith(" 404"):
            raise _not_valid()
        raise ProblemError(
            503,
            "Service unavailable",
            "The details cannot be checked just now; try again shortly.",
            headers={"Retry-After": "30"},
        )

    async def _wrong_details(self, link_id: UUID) -> None:
        limit = self._settings.consent_link_max_attempts
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "UPDATE panel.consent_links SET failed_attempts = failed_attempts + 1,"
                " locked_at = CASE WHEN failed_attempts + 1 >= $2 THEN now() END"
                " WHERE id = $1 AND locked_at IS NULL RETURNING failed_attempts, locked_at",
                link_id,
                limit,
            )
        if row is None or row["locked_at"] is not None:
            logger.warning("consent link %s locked after wrong details", link_id)
            raise _locked()
        attempts_left = limit - int(row["failed_attempts"])
        logger.info("consent link %s: details did not match", link_id)
        raise ProblemError(
            422,
            "Details do not match",
            "The reference or the date of birth is not the one we hold.",
            attempts_left=attempts_left,
        )


async def _link(conn: Connection, token: str) -> asyncpg.Record:
    row = None
    if 0 < len(token) <= _MAX_TOKEN_LENGTH:
        row = await conn.fetchrow(
            "SELECT * FROM panel.consent_links WHERE token_hash = $1", token_hash(token)
        )
    if row is None or row["superseded_at"] is not None:
        raise _not_valid()
    return row


async def _state(conn: Connection, link: asyncpg.Record) -> LinkState:
    """Where consent stands since the link was issued: the newest answer or withdrawal."""
    row = await conn.fetchrow(
        "SELECT action, detail->>'decision' AS decision FROM panel.case_actions"
        " WHERE referral_id = $1 AND at >= $2"
        " AND action IN ('record_consent', 'withdraw_consent') ORDER BY id DESC LIMIT 1",
        link["referral_id"],
        link["created_at"],
    )
    if row is None:
        return "awaiting_answer"
    if row["action"] == "withdraw_consent":
        return "withdrawn"
    return "given" if row["decision"] == "given" else "refused"


async def _route(conn: Connection, referral: StoredReferral) -> Literal["person", "guardian"]:
    """Whom the request asked: as the workflow recorded it, else by the person's age today."""
    recorded = await conn.fetchval(
        "SELECT consent_route FROM panel.cases WHERE referral_id = $1", referral.referral_id
    )
    if recorded == ConsentRoute.PERSON:
        return "person"
    if recorded == ConsentRoute.GUARDIAN:
        return "guardian"
    born = _date_of_birth(referral)
    today = dt.datetime.now(dt.UTC).date()
    if born is None:
        return "guardian"
    before_birthday = (today.month, today.day) < (born.month, born.day)
    return "person" if today.year - born.year - int(before_birthday) >= ADULT_AGE else "guardian"


def _answered_by(route: Literal["person", "guardian"]) -> AnsweredBy:
    """The link's holder answered as whoever the request asked."""
    return "person" if route == "person" else "parent_or_guardian"


def _date_of_birth(referral: StoredReferral) -> dt.date | None:
    person = referral.form.get("person")
    value = person.get("date_of_birth") if isinstance(person, dict) else None
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _matches(details: LinkDetails, referral: StoredReferral) -> bool:
    """Both details compared in constant time, neither short-circuiting the other."""
    born = _date_of_birth(referral)
    given_reference = details.reference.strip().upper().encode()
    reference_ok = hmac.compare_digest(given_reference, referral.reference.encode())
    held = born.isoformat() if born is not None else ""
    born_ok = hmac.compare_digest(details.date_of_birth.isoformat().encode(), held.encode())
    return reference_ok & born_ok & (born is not None)


def _holder(reference: str) -> StaffPrincipal:
    """The link's holder, bound to this case as a `consent:<reference>` principal."""
    return StaffPrincipal(
        subject=f"{CONSENT_SUBJECT_PREFIX}{reference}", role=Role.PERSON_OR_GUARDIAN
    )


def _not_valid() -> ProblemError:
    return ProblemError(
        404, "Link not valid", "This link is not one we issued, or a newer one replaced it."
    )


def _locked() -> ProblemError:
    return ProblemError(
        423, "Link locked", "The details were wrong too many times; ask for a new link."
    )


def _already_answered() -> ProblemError:
    return ProblemError(409, "Already answered", "This link has already been used to answer.")
