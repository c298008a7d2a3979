"""A dependency that is down: recognised from the error it causes, logged once per outage.

While PostgreSQL restarts or Temporal cannot be reached, every request that needs it fails the
same way; a traceback per request says nothing new and buries what does. So each process
(each app: `build_app` gives every app its own `Outages`) logs one warning when it first finds
a dependency down and one line when it answers again, and requests meanwhile get a 503 with
`Retry-After` (`safeguard.errors`). No request path waits on Kafka: events leave through the
outbox, so a broker outage delays them without failing a request.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from enum import Enum
from types import TracebackType

import asyncpg
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.service import RPCError, RPCStatusCode

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class Dependency(Enum):
    """What may be down, in the words an answer uses for it."""

    DATABASE = "The database"
    TEMPORAL = "The case engine"


# Refused or dropped connections, a server shutting down or starting up, or out of slots.
_DATABASE_DOWN = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
_BROKEN = "cannot switch to state"
# What the Temporal client answers when it cannot reach the frontend in time.
_TEMPORAL_DOWN = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED})


def outage_of(error: BaseException) -> Dependency | None:
    """The dependency whose outage `error` shows, or None for any other error."""
    if isinstance(error, RPCError):
        return Dependency.TEMPORAL if error.status in _TEMPORAL_DOWN else None
    if isinstance(error, RuntimeError) and str(error).startswith("Failed client connect"):
        return Dependency.TEMPORAL  # a lazily connecting Temporal client's first call
    if isinstance(error, _DATABASE_DOWN):
        return Dependency.DATABASE
    if isinstance(error, asyncpg.InterfaceError) and "clos" in str(error):
        return Dependency.DATABASE  # "connection is closed", "pool is closing"
    if isinstance(error, asyncpg.InternalClientError) and str(error).startswith(_BROKEN):
        # The server died mid-statement: the protocol never left that statement's state, so
        # the next use of the connection (its reset on release, a COMMIT) cannot start.
        return Dependency.DATABASE
    # Refused, reset, unresolvable or timed out while asyncpg connects: the socket errors
    # are plain OSErrors, so where they were raised says whose they are.
    if isinstance(error, OSError) and _raised_in(error.__traceback__, "asyncpg"):
        return Dependency.DATABASE
    return None


def _raised_in(traceback: TracebackType | None, package: str) -> bool:
    while traceback is not None:
        module = str(traceback.tb_frame.f_globals.get("__name__", ""))
        if module == package or module.startswith(f"{package}."):
            return True
        traceback = traceback.tb_next
    return False


class Outages:
    """The dependencies one process has found down, since when, and how many requests each
    refused; each change is logged once."""

    def __init__(self) -> None:
        self._since: dict[Dependency, float] = {}
        self._refused: dict[Dependency, int] = {}

    def began(self, dependency: Dependency, error: BaseException) -> None:
        """A request found `dependency` down: warn if this starts an outage, else count it."""
        self._refused[dependency] = self._refused.get(dependency, 0) + 1
        if dependency in self._since:
            return
        self._since[dependency] = time.monotonic()
        # Connection errors name hosts and states, never a row: no personal data here.
        logger.warning(
            "%s is unreachable (%s: %s); answering 503 until it answers again",
            dependency.value,
            type(error).__name__,
            str(error)[:200],
        )

    def ended(self, dependency: Dependency) -> None:
        """`dependency` answered: if an outage was under way, say it is over."""
        since = self._since.pop(dependency, None)
        if since is None:
            return
        refused = self._refused.pop(dependency, 0)
        logger.info(
            "%s answers again after %.1f s; %d requests were refused meanwhile",
            dependency.value,
            time.monotonic() - since,
            refused,
        )


# The app's own `Outages` while it handles a request, for code that is given a client rather
# than the app (a case update's Temporal call); elsewhere, one for the whole process.
_PROCESS = Outages()
_current: ContextVar[Outages] = ContextVar("outages", default=_PROCESS)


def current() -> Outages:
    """The outages of the app handling this request (else of the process)."""
    return _current.get()


class OutageScope:
    """Makes the app's `Outages` the current one for each request it handles."""

    def __init__(self, app: ASGIApp, *, outages: Outages) -> None:
        self._app = app
        self._outages = outages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle the request with the app's outages current."""
        token = _current.set(self._outages)
        try:
            await self._app(scope, receive, send)
        finally:
            _current.reset(token)
