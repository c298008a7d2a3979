"""A TCP relay in front of a real broker that passes each connection's first answer and holds
the next ones a while: a client's first request (API versions) is answered at once, and its
second (the cluster's metadata, when it bootstraps) waits. That is the moment a client that is
starting sits in, for as long as a test needs to cancel it there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HeldAnswers:
    """Relays to `host:port`; `holding` is set once an answer is being held."""

    def __init__(self, host: str, port: int, hold: float) -> None:
        self._target = (host, port)
        self._hold = hold
        self.holding = asyncio.Event()
        self._pumps: set[asyncio.Task[None]] = set()

    async def serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        """Relay one connection (an asyncio server's callback)."""
        broker_in, broker_out = await asyncio.open_connection(*self._target)
        pumps = [
            asyncio.create_task(_copy(client_in, broker_out)),
            asyncio.create_task(self._answers(broker_in, client_out)),
        ]
        self._pumps.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for writer in (client_out, broker_out):
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    async def _answers(self, broker: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        first = True
        while True:
            size = await broker.readexactly(4)  # each Kafka frame: a 4-byte length, then that
            frame = size + await broker.readexactly(int.from_bytes(size, "big"))
            if not first:
                self.holding.set()
                await asyncio.sleep(self._hold)
            first = False
            client.write(frame)
            await client.drain()

    async def stop(self) -> None:
        """Stop relaying."""
        for pump in self._pumps:
            pump.cancel()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while data := await source.read(65536):
        sink.write(data)
        await sink.drain()


@asynccontextmanager
async def held_answers(target: str, *, hold: float) -> AsyncIterator[tuple[str, HeldAnswers]]:
    """The relay to `target` ("host:port") on a free loopback port, and its address."""
    host, port = target.rsplit(":", 1)
    relay = HeldAnswers(host, int(port), hold)
    server = await asyncio.start_server(relay.serve, "127.0.0.1", 0)
    address = server.sockets[0].getsockname()
    try:
        yield f"{address[0]}:{address[1]}", relay
    finally:
        server.close()
        await relay.stop()
        await server.wait_closed()
