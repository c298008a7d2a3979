"""Which errors are a dependency's outage, and that each outage is logged once."""

from __future__ import annotations

import logging
import socket

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.service import RPCError, RPCStatusCode

from safeguard.errors import install_problem_handlers
from safeguard.outages import Dependency, Outages, outage_of
from tests.helpers import free_port


async def _error_of_connecting(port: int, within_seconds: float = 5.0) -> Exception:
    try:
        await asyncpg.connect(f"postgresql://nobody@127.0.0.1:{port}/none", timeout=within_seconds)
    except Exception as error:  # noqa: BLE001 - the error is what is under test
        return error
    raise AssertionError("connected to nothing")


async def test_a_refused_or_silent_database_is_an_outage() -> None:
    refused = await _error_of_connecting(free_port())
    assert isinstance(refused, ConnectionRefusedError)
    assert outage_of(refused) is Dependency.DATABASE
    # A server that accepts and never answers: asyncpg's connect timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        timed_out = await _error_of_connecting(silent.getsockname()[1], within_seconds=0.2)
    assert isinstance(timed_out, TimeoutError)
    assert outage_of(timed_out) is Dependency.DATABASE


async def test_only_the_errors_of_an_outage_are_one() -> None:
    for down in (
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        # Seen in the chaos test: a pool's reset of a connection whose server was SIGKILLed.
        asyncpg.InternalClientError(
            "cannot switch to state 15; another operation (2) is in progress"
        ),
    ):
        assert outage_of(down) is Dependency.DATABASE, down
    for status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        assert outage_of(RPCError("tcp connect error", status, b"")) is Dependency.TEMPORAL
    assert outage_of(RuntimeError("Failed client connect: refused")) is Dependency.TEMPORAL
    for other in (
        RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b""),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        asyncpg.InternalClientError("unexpected error while performing authentication"),
        # A plain socket error not raised by asyncpg's code is nobody's outage.
        ConnectionRefusedError(111, "refused"),
        RuntimeError("something else"),
    ):
        assert outage_of(other) is None, other


async def test_an_outage_is_logged_when_it_begins_and_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="safeguard.outages")
    outages = Outages()
    refused = await _error_of_connecting(free_port())
    for _ in range(50):
        outages.began(Dependency.DATABASE, refused)
    outages.ended(Dependency.DATABASE)
    outages.ended(Dependency.DATABASE)
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "safeguard.outages"]
    assert [level for level, _ in lines] == [logging.WARNING, logging.INFO]
    assert lines[0][1].startswith("The database is unreachable (ConnectionRefusedError")
    assert "50 requests were refused" in lines[1][1]


async def test_every_class_of_outage_error_answers_503() -> None:
    """Each error `outage_of` names must reach the outage handler: seen in the chaos test, a
    request whose pooled connection's server was killed raised InternalClientError (a class
    of its own, no subclass of any other asyncpg error) and answered 500."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/broken")
    async def broken() -> None:
        raise asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        )

    @app.get("/other")
    async def other() -> None:
        raise asyncpg.InternalClientError("unexpected error while performing authentication")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        down = await http.get("/broken")
        wrong = await http.get("/other")
    assert (down.status_code, down.headers["retry-after"]) == (503, "5")
    assert wrong.status_code == 500
