"""Replaying many runs (a year's closed cases): one replaying worker per process, and processes
to spread them over the cores.

The SDK's `Replayer` replays one history at a time and runs the workflow code in Python, so a
process keeps about one core busy. The runs are dealt to a pool of processes in chunks, each
chunk replayed through one replaying worker; a few chunks wait at each process, so reading the
archive and replaying overlap.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor

from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from safeguard.audit.replaying import ReplayStream, RunReplay
from safeguard.settings import Settings
from safeguard.temporal import data_converter_for
from workflows.referral.replay import replay_runs, replay_stream, replayer_for

CHUNK = 25  # runs per task: small enough for an even finish, large enough to start few workers
WAITING = 2  # chunks queued per process, so none waits for the parent to read the next

Chunk = list[tuple[str, bytes]]  # (workflow id, serialized History) of each run


def replaying_in_bulk(settings: Settings, workers: int = 1) -> ReplayStream:
    """Replay a stream of runs on the current code: in this process through one replaying
    worker, or spread over `workers` processes."""
    if workers > 1:
        return in_processes(settings, workers)
    return replay_stream(replayer_for(data_converter_for(settings)))


def in_processes(settings: Settings, workers: int, *, chunk: int = CHUNK) -> ReplayStream:
    """Replay a stream of runs in `workers` processes; verdicts come as chunks finish."""

    async def replay(runs: AsyncIterator[WorkflowHistory]) -> AsyncIterator[RunReplay]:
        # Spawned, not forked: the SDK's runtime threads do not survive a fork.
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_replayer,
            initargs=(settings,),
        )
        try:
            async for verdict in _deal(pool, runs, chunk, waiting=WAITING * workers):
                yield verdict
        finally:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    return replay


async def _deal(
    pool: ProcessPoolExecutor, runs: AsyncIterator[WorkflowHistory], size: int, *, waiting: int
) -> AsyncIterator[RunReplay]:
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Future[list[RunReplay]]] = set()
    async for chunk in _chunks(runs, size):
        while len(pending) >= waiting:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for verdict in _verdicts(done):
                yield verdict
        pending.add(loop.run_in_executor(pool, _replay_chunk, chunk))
        done = {future for future in pending if future.done()}
        pending -= done
        for verdict in _verdicts(done):
            yield verdict
    for future in asyncio.as_completed(pending):
        for verdict in await future:
            yield verdict


def _verdicts(done: set[asyncio.Future[list[RunReplay]]]) -> list[RunReplay]:
    return [verdict for future in done for verdict in future.result()]


async def _chunks(runs: AsyncIterator[WorkflowHistory], size: int) -> AsyncIterator[Chunk]:
    chunk: Chunk = []
    async for run in runs:
        chunk.append((run.workflow_id, History(events=run.events).SerializeToString()))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- in each process of the pool ---------------------------------------------------------


class _Process:
    """The process's own event loop and replayer, made once when the pool starts it."""

    loop: asyncio.AbstractEventLoop
    replayer: Replayer


def _start_replayer(settings: Settings) -> None:
    _Process.loop = asyncio.new_event_loop()
    _Process.replayer = replayer_for(data_converter_for(settings))


def _replay_chunk(chunk: Chunk) -> list[RunReplay]:
    runs = [WorkflowHistory(wid, list(History.FromString(raw).events)) for wid, raw in chunk]
    return _Process.loop.run_until_complete(replay_runs(_Process.replayer, runs))
