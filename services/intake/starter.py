"""Store-and-forward: the starter makes every referral's workflow start, off the request path.

A referral commits with its start due before anything calls Temporal, and stays due until its
start is recorded, so an accepted referral is never lost: whichever starter runs next takes it
(a claimed start that its process never finished is taken again once its lease runs out).
The commit's NOTIFY wakes every listening starter at once (`start_wakeup`); a poll stays as
the safety net. Each wake claims as many due referrals as it has room for (`FOR UPDATE SKIP
LOCKED`, then leased, so several intake processes never take one referral together), keeping up
to `max_in_flight` starts under way at once, and records the starts that ended meanwhile in one
statement. While the database or Temporal is out it only checks, every poll, whether both
answer again, and the moment they do it starts everything waiting. The workflow id is derived
from the reference, so two attempts that both reach Temporal still make one case.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from opentelemetry import context as otel_context
from temporalio.client import Client

from safeguard.db.listening import keep_listening
from safeguard.db.pool import Pool
from safeguard.fieldcrypt.keyring import Keyring
from safeguard.settings import Settings
from safeguard.temporal import connect_temporal
from services.intake import start_wakeup, store
from services.intake.sealed import pending_start
from services.intake.start_call import RPC_TIMEOUT, ReferenceClash, StartCall
from services.intake.store import PendingStart

logger = logging.getLogger(__name__)

_CLASH_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class StartTiming:
    """How the starter paces itself: how often it looks for due starts without a NOTIFY
    (and, during an outage, checks whether it is over), the cap on one referral's retry delay
    while its start keeps failing, how long a claim holds off other starters (longer than a
    start can take), and how many starts it keeps under way at once."""

    poll_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    lease_seconds: float = 15.0
    max_in_flight: int = 32


class WorkflowStarter:
    """Starts referral workflows; owns the Temporal client, which may connect late."""

    def __init__(
        self,
        *,
        pool: Pool,
        settings: Settings,
        keyring: Keyring,
        temporal: Client | None = None,
        timing: StartTiming | None = None,
    ) -> None:
        self._pool = pool
        self._keyring = keyring
        self._settings = settings
        self._client = temporal
        self._timing = timing or StartTiming()
        self._failures = 0
        self._wake = asyncio.Event()
        self._traces = start_wakeup.TraceContexts()
        # Starts put off by an outage: due again the moment it ends, not after their delay.
        self._deferred: set[UUID] = set()
        self._flying: dict[asyncio.Task[None], PendingStart] = {}

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Start due referrals until cancelled, listening for wake-ups on a connection of its
        own (listening again after the database restarts)."""

        async def starting(lost: asyncio.Event) -> None:
            await self._loop(lost)

        try:
            await keep_listening(
                self._pool,
                channel=start_wakeup.CHANNEL,
                on_notify=self.wake,
                on_payload=self._traces.heard,
                body=starting,
                what="workflow starter",
            )
        finally:
            # Their claims stay: another starter takes them once the lease runs out.
            for task in self._flying:
                task.cancel()
            await asyncio.gather(*self._flying, return_exceptions=True)

    async def _loop(self, lost: asyncio.Event) -> None:
        while not lost.is_set():
            self._wake.clear()
            if not await self._step():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._timing.poll_seconds)

    async def _step(self) -> bool:
        """One look at the queue (or at the outage); True if more may be due at once."""
        await self._settle()
        if self._failures:
            return await self._recover_if_back()
        if self._client is None:
            return await self._connect()
        return await self._start_due()

    def _retry_delay(self) -> timedelta:
        """How long one failing referral waits (the outage's end cuts it short)."""
        seconds = self._timing.poll_seconds * 2 ** (self._failures - 1)
        return timedelta(seconds=min(seconds, self._timing.max_backoff_seconds))

    async def _recover_if_back(self) -> bool:
        """During an outage: if the database and Temporal answer, start what waits, at once."""
        try:
            await self._pool.fetchval("SELECT 1")
            if self._client is None:
                self._client = await connect_temporal(self._settings)
            elif not await self._client.service_client.check_health(timeout=RPC_TIMEOUT):
                return False
            async with self._pool.acquire() as conn:
                await store.retry_start_after(
                    conn, referral_ids=sorted(self._deferred), delay=timedelta(0)
                )
        except Exception:  # noqa: BLE001 - still out: the next poll checks again
            return False
        logger.info("the database and Temporal answer again; starting queued referrals")
        self._deferred.clear()
        self._failures = 0
        return True

    async def _connect(self) -> bool:
        try:
            self._client = await connect_temporal(self._settings)
        except Exception as error:
            self._note_failure(error, what="connecting to Temporal")
            return False
        return True

    async def _start_due(self) -> bool:
        """Claim as many due starts as there is room for and set them going; True if it took
        all it had room for (more may be due)."""
        room = self._timing.max_in_flight - len(self._flying)
        if room <= 0:
            return False  # each start that ends wakes the loop
        lease = timedelta(seconds=self._timing.lease_seconds)
        rows = []
        try:
            async with self._pool.acquire() as conn:
                rows = await store.claim_due_starts(conn, limit=room, lease=lease)
                due = [await pending_start(conn, self._keyring, row) for row in rows]
        except Exception as error:
            self._deferred.update(row["id"] for row in rows)
            self._note_failure(error, what="reading the start queue")
            return False
        assert self._client is not None  # noqa: S101 - `_step` checks
        call = StartCall(self._client, self._settings)
        for item in due:
            task = asyncio.create_task(self._start_traced(call, item))
            task.add_done_callback(lambda _: self.wake())
            self._flying[task] = item
        return len(due) == room

    async def _settle(self) -> None:
        """Record what the starts that ended did: those made in one statement, the rest back in
        the queue."""
        ended = [(task, item) for task, item in self._flying.items() if task.done()]
        for task, _ in ended:
            del self._flying[task]
        outcomes = [(item, _error(task)) for task, item in ended]
        await self._record_started([item.referral_id for item, out in outcomes if out is None])
        clashed = [item for item, out in outcomes if out is not None and _clash(out)]
        for item in clashed:
            # Not an outage: parked for an operator while the others go on.
            logger.error("workflow id of %s belongs to another referral", item.reference)
        await self._requeue(clashed, delay=_CLASH_RETRY)
        failed = [(i, out) for i, out in outcomes if out is not None and not _clash(out)]
        if failed:
            item, error = failed[0]
            what = f"starting the workflows of {item.reference} and {len(failed) - 1} more"
            self._note_failure(error, what=what)
            self._deferred.update(item.referral_id for item, _ in failed)
            await self._requeue([item for item, _ in failed], delay=self._retry_delay())

    async def _start_traced(self, call: StartCall, item: PendingStart) -> None:
        """Start one workflow in the trace of the request that accepted it, if known."""
        parent = self._traces.take(item.referral_id)
        token = otel_context.attach(parent) if parent is not None else None
        try:
            await call.start(item)
        finally:
            if token is not None:
                otel_context.detach(token)

    async def _record_started(self, referral_ids: list[UUID]) -> None:
        if not referral_ids:
            return
        try:
            async with self._pool.acquire() as conn:
                await store.mark_started(conn, referral_ids=referral_ids)
        except Exception as error:
            # Still due once the lease passes: the next attempt finds the workflow already
            # started (by this referral, its memo says) and records it then.
            self._note_failure(error, what="recording started workflows")

    async def _requeue(self, pending: list[PendingStart], *, delay: timedelta) -> None:
        if not pending:
            return
        try:
            async with self._pool.acquire() as conn:
                ids = [item.referral_id for item in pending]
                await store.retry_start_after(conn, referral_ids=ids, delay=delay)
        except Exception as error:
            # Released when the outage ends (or, if this process dies, when the lease expires).
            self._deferred.update(item.referral_id for item in pending)
            self._note_failure(error, what="re-queueing workflow starts")

    def _note_failure(self, error: BaseException, *, what: str) -> None:
        self._failures += 1
        # The error's type only: messages from the client could quote a payload.
        if self._failures == 1:
            logger.warning("%s failed (%s); queued, retrying", what, type(error).__name__)


def _error(task: asyncio.Task[None]) -> BaseException | None:
    """What an ended start raised (its cancellation too), or None if it was made."""
    return asyncio.CancelledError() if task.cancelled() else task.exception()


def _clash(outcome: BaseException) -> bool:
    return isinstance(outcome, ReferenceClash)
