"""Age group and gender of new referrals, asked of intake (never carried by events).

Intake derives the age at referral and keeps the gender code when a referral arrives; this
service asks for them in batches over intake's internal API (`referral-facts.read`, each read
in intake's access log), maps the age to every age scheme's group, and keeps only the groups.
A referral intake cannot answer for yet (its row not committed, intake down) is asked again
later, backing off; one intake says is redacted counts as not known.

One filler asks at a time across the deployment (every uvicorn worker and every replica
starts one): the one holding the filler's advisory lock on its own connection. The others wait
for the lock and take over when the holder stops or loses its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from uuid import UUID

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from safeguard.auth.service_tokens import ServiceTokenUnavailableError, TokenSource, bearer
from safeguard.db.listening import keep_listening
from safeguard.db.pool import Pool
from safeguard.settings import Settings
from safeguard.statistics.categories import AGE_SCHEMES
from services.statistics import store

logger = logging.getLogger(__name__)
# Held by the one filler that asks intake; any constant, the same in every process.
FILLER_LOCK = 0x57A7_FAC7


class IntakeFacts(BaseModel):
    """One referral in intake's answer."""

    model_config = ConfigDict(extra="ignore")

    referral_id: UUID
    age_at_referral: int | None
    gender: str | None
    redacted: bool


class IntakeAnswer(BaseModel):
    """Intake's answer to `POST /internal/v1/referral-facts`."""

    model_config = ConfigDict(extra="ignore")

    facts: list[IntakeFacts]


class IntakeFactsClient:
    """Calls intake with this service's own token."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, tokens: TokenSource) -> None:
        self._url = settings.intake_internal_base().rstrip("/") + "/internal/v1/referral-facts"
        self._http = http
        self._tokens = tokens

    async def facts(self, referral_ids: Sequence[UUID]) -> list[IntakeFacts] | None:
        """Intake's facts of these referrals; None if it cannot answer now."""
        try:
            token = await self._tokens.token()
            answer = await self._http.post(
                self._url,
                json={"referral_ids": [str(i) for i in referral_ids]},
                headers=bearer(token),
            )
        except (ServiceTokenUnavailableError, httpx.HTTPError) as error:
            logger.warning("intake's referral facts unavailable: %s", type(error).__name__)
            return None
        if answer.status_code == 401:
            self._tokens.forget(token)
        if answer.status_code != 200:
            logger.warning("intake answered %s for referral facts", answer.status_code)
            return None
        try:
            return IntakeAnswer.model_validate_json(answer.content).facts
        except ValidationError:
            logger.warning("intake's referral facts were malformed")
            return None


def demographics(facts: IntakeFacts) -> store.Demographics:
    """The coarse facts kept: the age's group in every scheme, and the gender code."""
    groups = {code: s.group_of(facts.age_at_referral) for code, s in AGE_SCHEMES.items()}
    return store.Demographics(
        referral_id=facts.referral_id,
        age_groups={} if facts.redacted else groups,
        gender=facts.gender,
        erased=facts.redacted,
    )


class FactsFiller:
    """Fills in the age groups and gender of fact rows still waiting for them."""

    def __init__(self, *, pool: Pool, client: IntakeFactsClient, settings: Settings) -> None:
        self._pool = pool
        self._client = client
        self._batch = settings.statistics.facts_batch
        self._poll = settings.statistics.facts_poll_seconds
        self._leading = False

    @property
    def leading(self) -> bool:
        """Whether this filler holds the lock and is the one asking intake."""
        return self._leading

    async def run(self) -> None:
        """Until cancelled: wait for the filler's lock, then fill while it is held."""
        await keep_listening(
            self._pool,
            channel=None,
            on_notify=lambda: None,
            body=self._lead,
            what="referral facts filler",
            advisory_lock=FILLER_LOCK,
        )

    async def _lead(self, lost: asyncio.Event) -> None:
        """Fill a batch; rest a while once none is due; stop when the lock's connection ends
        (the lock went with it)."""
        self._leading = True
        try:
            while not lost.is_set():
                try:
                    filled = await self.fill_once()
                except Exception:  # a database blip must not end the filler
                    logger.exception("filling referral facts failed; trying again shortly")
                    filled = 0
                if filled < self._batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self._poll)
        finally:
            self._leading = False

    async def fill_once(self) -> int:
        """One batch: the number of referrals asked about."""
        async with self._pool.acquire() as conn:
            due = await store.due_for_facts(conn, limit=self._batch)
        if not due:
            return 0
        answer = await self._client.facts(due)
        known = {f.referral_id: f for f in answer or []}
        async with self._pool.acquire() as conn, conn.transaction():
            await store.set_demographics(conn, [demographics(f) for f in known.values()])
            missing = [i for i in due if i not in known]
            if missing:
                await store.retry_facts_later(conn, referral_ids=missing)
        return len(due)
