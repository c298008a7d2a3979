"""Which handler errors wait for a dependency rather than count towards parking the message."""

from __future__ import annotations

import asyncpg
from pydantic import BaseModel, ValidationError
from temporalio.service import RPCError, RPCStatusCode

from safeguard.kafka.failures import is_transient


class _Event(BaseModel):
    count: int


def test_an_outage_of_the_database_or_temporal_is_transient() -> None:
    for down in (
        # Another backend crashed: PostgreSQL ends every session while it recovers.
        asyncpg.CrashShutdownError("terminating connection because of crash of another process"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        ConnectionRefusedError(111, "refused"),
        RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b""),
    ):
        assert is_transient(down), down


def test_a_bad_message_is_not_transient() -> None:
    try:
        _Event.model_validate({"count": "many"})
    except ValidationError as invalid:
        assert not is_transient(invalid)
    assert not is_transient(asyncpg.UniqueViolationError("duplicate key"))
    assert not is_transient(RPCError("not found", RPCStatusCode.NOT_FOUND, b""))
