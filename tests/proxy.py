"""A loopback TCP proxy a test can cut, to take a dependency away from a running service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class TcpProxy:
    """Forwards connections to `target` until `cut()`; then refuses and drops them until
    `resume()` listens again on the same address. With a `delay`, what the client sends
    reaches the target that many seconds late (in order; the answers are not held)."""

    def __init__(self, target: str, *, delay: float = 0.0) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host, int(port))
        self.delay = delay
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.address = ""

    @property
    def port(self) -> int:
        """The port it listens on (0 before `start`)."""
        return int(self.address.rpartition(":")[2] or 0)

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.address = f"127.0.0.1:{port}"

    async def cut(self) -> None:
        """Stop listening and drop every open connection, as a dead server would."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def resume(self) -> None:
        """Listen again where it listened before the cut, as a server back from a restart."""
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, upstream_writer}
        outbound = _delayed_pipe(reader, upstream_writer, self.delay) if self.delay else None
        await asyncio.gather(
            outbound or _pipe(reader, upstream_writer),
            _pipe(upstream_reader, writer),
            return_exceptions=True,
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _delayed_pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
) -> None:
    """Each chunk written `delay` seconds after it was read: later, but no slower."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def forward() -> None:
        while (item := await queue.get())[1]:
            await asyncio.sleep(max(0.0, item[0] - loop.time()))
            writer.write(item[1])
            await writer.drain()

    forwarding = asyncio.create_task(forward())
    try:
        while chunk := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, chunk))
        queue.put_nowait((0.0, b""))
        await forwarding
    finally:
        forwarding.cancel()
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.asynccontextmanager
async def proxy_to(target: str, *, delay: float = 0.0) -> AsyncIterator[TcpProxy]:
    """A running proxy to `target` (see `TcpProxy` for `delay`), cut at the end if not before."""
    proxy = TcpProxy(target, delay=delay)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.cut()
