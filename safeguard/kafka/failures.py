"""Telling a failing message from a failing dependency, and describing errors without their data."""

from __future__ import annotations

import asyncpg
from pydantic import ValidationError

from safeguard.outages import outage_of

_MAX_DESCRIPTION = 500

# A dependency that is down fails every message alike: wait for it rather than park them all.
_TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
)


def is_transient(error: BaseException) -> bool:
    """Whether the error says a dependency is unavailable, not that the message is bad: the
    errors a request would answer with a 503 among them (a crashed PostgreSQL's included)."""
    return isinstance(error, _TRANSIENT) or outage_of(error) is not None


def describe_error(error: BaseException) -> str:
    """A short description safe to log and park: validation errors lose their input values."""
    if isinstance(error, ValidationError):
        # pydantic's default message echoes the offending input, which could be personal data.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        text = f"ValidationError: {problems}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:_MAX_DESCRIPTION]
