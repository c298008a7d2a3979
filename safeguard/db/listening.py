"""A background loop's own connection: it LISTENs for wake-ups (and may hold an advisory
lock, so one process of a deployment runs the loop at a time), and is opened again after the
database restarts.

A restart ends every session, so the old connection's LISTEN and lock are gone with it: a loop
that kept running on it would hear no more NOTIFYs (falling back to its poll) and, worse, would
go on working without the lock that keeps a second instance from doing the same work at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from safeguard.db.pool import Connection, Pool

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# What a lost or unreachable database raises here (asyncpg's socket errors are OSErrors).
_LOST = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

Body = Callable[[asyncio.Event], Awaitable[None]]


async def keep_listening(
    pool: Pool,
    *,
    channel: str | None,
    on_notify: Callable[[], None],
    body: Body,
    what: str,
    advisory_lock: int | None = None,
    on_payload: Callable[[str], None] | None = None,
) -> None:
    """Run `body(lost)` while a connection of `pool` listens on `channel` (if any; a loop that
    only polls passes None) holding `advisory_lock`, if given, until cancelled. With a lock,
    a second process waits for it and takes over when the holder stops or loses its
    connection. `lost` is set, and `on_notify` called, when that
    connection ends: `body` then returns, and runs again once a new connection listens.
    `on_payload`, if given, hears each notification's payload just before `on_notify`.

    The pool resets a connection it takes back (UNLISTEN *, advisory locks released), so
    giving it back is all the cleaning up a connection that is still open needs.
    """
    down = False
    while True:
        try:
            async with pool.acquire() as conn:
                notify = _Notify(on_notify, on_payload)
                await _session(conn, channel, notify, body, advisory_lock, what, down=down)
                down = False
        except _LOST as error:
            if not down:
                logger.warning("%s: lost its database connection (%s)", what, type(error).__name__)
                down = True
        await asyncio.sleep(RETRY_SECONDS)


class _Notify:
    """Called by asyncpg with (connection, pid, channel, payload) for each notification."""

    def __init__(
        self, on_notify: Callable[[], None], on_payload: Callable[[str], None] | None
    ) -> None:
        self.wake = on_notify
        self._on_payload = on_payload

    def __call__(self, _conn: Connection, _pid: int, _channel: str, payload: object, /) -> None:
        if self._on_payload is not None:
            self._on_payload(str(payload))
        self.wake()


async def _session(
    conn: Connection,
    channel: str | None,
    notified: _Notify,
    body: Body,
    lock: int | None,
    what: str,
    *,
    down: bool,
) -> None:
    """Listen on one connection and run `body` until that connection ends."""
    lost = asyncio.Event()

    def ended(*_: object) -> None:
        lost.set()
        notified.wake()

    conn.add_termination_listener(ended)
    try:
        if lock is not None:
            await conn.execute("SELECT pg_advisory_lock($1)", lock)
        if channel is not None:
            await conn.add_listener(channel, notified)
        if down:
            logger.info("%s: listening on the database again", what)
        await body(lost)
    finally:
        # Once the connection ended, the pool has taken it back from this proxy already;
        # otherwise it wants it back with no listener (its reset unlocks and UNLISTENs).
        if not lost.is_set():
            conn.remove_termination_listener(ended)
            if channel is not None:
                with contextlib.suppress(*_LOST):
                    await conn.remove_listener(channel, notified)
