"""A steady stream of referrals from partner systems, remembering every answer."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.intake.forms import school_form

CONNECTION_ERROR = 0  # the status recorded when no answer came (the service was down)


@dataclass(frozen=True)
class Answer:
    """One submission: when it was sent and answered, and what came back (0: no answer)."""

    sent_at: float
    answered_at: float
    status: int
    reference: str | None


@dataclass
class Load:
    """`callers` partner systems each submitting a referral every `interval` seconds."""

    url: str
    headers: dict[str, str]
    callers: int = 2
    interval: float = 1.0
    answers: list[Answer] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    def accepted(self, *, since: float = 0.0) -> list[Answer]:
        """The referrals accepted (201), sent at or after `since`, in order."""
        return [a for a in self.answers if a.reference is not None and a.sent_at >= since]

    def refused(self, *, since: float, until: float) -> int:
        """Submissions sent in the window that were not accepted (503s and no answer)."""
        return sum(1 for a in self.answers if since <= a.sent_at < until and a.reference is None)

    def statuses(self) -> Counter[int]:
        """How many of each answer (0 for no answer)."""
        return Counter(answer.status for answer in self.answers)

    async def run(self) -> None:
        """Submit until cancelled."""
        async with httpx.AsyncClient(base_url=self.url, timeout=10.0) as http:
            await asyncio.gather(*(self._caller(http) for _ in range(self.callers)))

    async def _caller(self, http: httpx.AsyncClient) -> None:
        while True:
            started = time.monotonic()
            self.answers.append(await self._submit(http, next(self._numbers)))
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    async def _submit(self, http: httpx.AsyncClient, number: int) -> Answer:
        sent_at = time.monotonic()
        headers = self.headers | {"Idempotency-Key": f"chaos-{number}"}
        form = school_form(given_names=f"Chaos{number}")
        try:
            answer = await http.post("/v1/referrals", json=form, headers=headers)
        except httpx.TransportError:
            return Answer(sent_at, time.monotonic(), CONNECTION_ERROR, None)
        reference = answer.json()["reference"] if answer.status_code == 201 else None
        return Answer(sent_at, time.monotonic(), answer.status_code, reference)
