"""Store-and-forward: start each stored referral's workflow, now or once Temporal is back.

A referral is committed before any attempt to start its workflow, so an accepted referral is
never lost. The request tries the start once; if that fails (or the process dies first) the
background loop here retries from the database. While the database or Temporal is out it only
checks, every poll, whether both answer again, and the moment they do it starts everything
waiting; a referral queued meanwhile wakes it too. The workflow id is derived from the
reference, so two attempts that both reach Temporal still make one case.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from safeguard.db.pool import Pool
from safeguard.fieldcrypt.keyring import Keyring
from safeguard.settings import Settings
from safeguard.temporal import connect_temporal
from services.intake import store
from services.intake.sealed import pending_start
from services.intake.store import PendingStart
from workflows.referral.models import ReferralWorkflowInput
from workflows.referral.workflows import ReferralWorkflow, workflow_id_for

logger = logging.getLogger(__name__)

# Time a request has to start its own workflow before the loop may take it over.
REQUEST_LEASE = timedelta(seconds=15)
_LOOP_LEASE = timedelta(seconds=60)
_RPC_TIMEOUT = timedelta(seconds=3)
_BATCH = 50
_CLASH_RETRY = timedelta(hours=1)


class ReferenceClash(Exception):
    """The workflow id of this reference already belongs to another referral."""


@dataclass(frozen=True)
class StartTiming:
    """How often the loop looks for due starts (and, during an outage, checks whether it is
    over), and the cap on one referral's retry delay while its start keeps failing."""

    poll_seconds: float = 1.0
    max_backoff_seconds: float = 30.0


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
        timing = timing or StartTiming()
        self._poll = timing.poll_seconds
        self._max_backoff = timing.max_backoff_seconds
        self._failures = 0
        self._wake = asyncio.Event()
        # Starts put off by an outage: due again the moment it ends, not after their delay.
        self._deferred: set[UUID] = set()

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll."""
        self._wake.set()

    @property
    def reachable(self) -> bool:
        """Whether the last attempt reached Temporal (requests skip the attempt if not)."""
        return self._client is not None and self._failures == 0

    async def start_now(self, pending: PendingStart) -> bool:
        """Try once, from the request; the loop retries if this fails."""
        if not self.reachable:
            await self._requeue([pending], delay=timedelta(0))
            self.wake()
            return False
        started = await self._start_and_record([pending])
        if not started:
            self.wake()
        return started

    async def run(self) -> None:
        """Connect if needed, then start due referrals until cancelled."""
        while True:
            if self._failures:
                await self._recover_if_back()
            elif self._client is None:
                await self._connect()
            else:
                await self._start_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()

    def _retry_delay(self) -> timedelta:
        """How long one failing referral waits (the outage's end cuts it short)."""
        return timedelta(seconds=min(self._poll * 2 ** (self._failures - 1), self._max_backoff))

    async def _recover_if_back(self) -> None:
        """During an outage: if the database and Temporal answer, start what waits, at once."""
        try:
            await self._pool.fetchval("SELECT 1")
            if self._client is None:
                self._client = await connect_temporal(self._settings)
            elif not await self._client.service_client.check_health(timeout=_RPC_TIMEOUT):
                return
            async with self._pool.acquire() as conn:
                await store.retry_start_after(
                    conn, referral_ids=sorted(self._deferred), delay=timedelta(0)
                )
        except Exception:  # noqa: BLE001, S110 - still out: the next poll checks again
            return
        logger.info("the database and Temporal answer again; starting queued referrals")
        self._deferred.clear()
        self._failures = 0
        self.wake()

    async def _connect(self) -> None:
        try:
            self._client = await connect_temporal(self._settings)
        except Exception as error:
            self._note_failure(error, what="connecting to Temporal")

    async def _start_due(self) -> None:
        try:
            async with self._pool.acquire() as conn:
                rows = await store.claim_due_starts(conn, limit=_BATCH, lease=_LOOP_LEASE)
                due = [await pending_start(conn, self._keyring, row) for row in rows]
        except Exception as error:
            self._note_failure(error, what="reading the start queue")
            return
        if due:
            await self._start_and_record(due)

    async def _start_and_record(self, pending: list[PendingStart]) -> bool:
        """Start in order; on the first failure put the rest back and report False."""
        for index, item in enumerate(pending):
            try:
                await self._start(item)
                async with self._pool.acquire() as conn:
                    await store.mark_started(conn, referral_id=item.referral_id)
                self._failures = 0
            except ReferenceClash:
                # Not an outage: park this one for an operator and carry on with the rest.
                logger.error("workflow id of %s belongs to another referral", item.reference)
                await self._requeue([item], delay=_CLASH_RETRY)
            except Exception as error:
                self._note_failure(error, what=f"starting the workflow of {item.reference}")
                self._deferred.update(item.referral_id for item in pending[index:])
                await self._requeue(pending[index:], delay=self._retry_delay())
                return False
        return True

    async def _start(self, item: PendingStart) -> None:
        assert self._client is not None  # noqa: S101 - callers check
        try:
            await asyncio.wait_for(
                self._client.start_workflow(
                    ReferralWorkflow.run,
                    self._input(item),
                    id=workflow_id_for(item.reference),
                    task_queue=self._settings.temporal_task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    memo={"referral_id": str(item.referral_id)},
                    rpc_timeout=_RPC_TIMEOUT,
                ),
                timeout=_RPC_TIMEOUT.total_seconds() + 1,
            )
        except WorkflowAlreadyStartedError:
            # An earlier attempt reached Temporal, so the case exists once, provided it is this
            # referral's: a database restored behind Temporal's back could reissue a reference.
            await self._confirm_same_referral(item)

    async def _confirm_same_referral(self, item: PendingStart) -> None:
        assert self._client is not None  # noqa: S101 - callers check
        handle = self._client.get_workflow_handle(workflow_id_for(item.reference))
        described = await handle.describe(rpc_timeout=_RPC_TIMEOUT)
        if await described.memo_value("referral_id", None) != str(item.referral_id):
            raise ReferenceClash(item.reference)

    def _input(self, item: PendingStart) -> ReferralWorkflowInput:
        return ReferralWorkflowInput(
            referral_id=item.referral_id,
            reference=item.reference,
            sector=item.sector,
            concern_type=item.concern_type,
            received_at=item.received_at,
            area=item.area,
            date_of_birth=item.date_of_birth,
            linked_referral_ids=item.linked_referral_ids,
            agency=item.agency,
            policy=self._settings.lifecycle,
        )

    async def _requeue(self, pending: list[PendingStart], *, delay: timedelta) -> None:
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
