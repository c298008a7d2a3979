"""ClamAV's `clamd`, fed a file while it arrives (the `zINSTREAM` command).

Our own small client: the clamd protocol for one stream is a command, length-prefixed chunks
and one answer line. The async client on PyPI (aioclamd 1.1) reads its source in 1 KiB pieces
through a thread each, some ten thousand thread hops for a 10 MiB file, and cannot take chunks
as they arrive, which scanning during the upload needs.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from types import TracebackType

# clamd reads each chunk whole; chunks larger than its StreamMaxLength are refused.
MAX_CHUNK = 1024 * 1024


class ScannerUnavailable(Exception):
    """clamd could not be reached, or did not answer in time: nothing may be stored unscanned."""


@dataclass(frozen=True)
class Verdict:
    """What clamd said of one stream."""

    clean: bool
    # The signature found, or clamd's error (e.g. a size limit); None when clean.
    finding: str | None = None
    # True when clamd could not read the stream (an error rather than a finding).
    unreadable: bool = False


def parse_answer(answer: bytes) -> Verdict:
    """`stream: OK`, `stream: <name> FOUND` or `<message> ERROR` as a verdict."""
    text = answer.rstrip(b"\0\n").decode("utf-8", errors="replace")
    _, _, result = text.partition(": ")
    result = result or text
    if result == "OK":
        return Verdict(clean=True)
    if result.endswith(" FOUND"):
        return Verdict(clean=False, finding=result.removesuffix(" FOUND"))
    return Verdict(clean=False, finding=result.removesuffix(" ERROR"), unreadable=True)


class StreamScan:
    """One INSTREAM session: open, `feed` chunks as they come, then `verdict`."""

    def __init__(self, host: str, port: int, *, timeout: float) -> None:
        self._address = (host, port)
        self._timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._verdict: Verdict | None = None

    async def __aenter__(self) -> StreamScan:
        try:
            async with asyncio.timeout(self._timeout):
                self._reader, self._writer = await asyncio.open_connection(*self._address)
                self._writer.write(b"zINSTREAM\0")
                await self._writer.drain()
        except (OSError, TimeoutError) as error:
            raise ScannerUnavailable(f"clamd at {self._address[0]}:{self._address[1]}") from error
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._writer is not None:
            self._writer.close()

    async def feed(self, data: bytes) -> None:
        """Send the next piece of the file; a daemon that stopped reading ends the scan early."""
        writer = self._writer
        if writer is None or self._verdict is not None:
            return
        try:
            for start in range(0, len(data), MAX_CHUNK):
                piece = data[start : start + MAX_CHUNK]
                writer.write(struct.pack("!L", len(piece)) + piece)
            async with asyncio.timeout(self._timeout):
                await writer.drain()
        except (ConnectionError, TimeoutError):
            # clamd answers and closes once a stream passes its limit: read why.
            self._verdict = await self._answer()

    async def verdict(self) -> Verdict:
        """End the stream and read clamd's answer."""
        if self._verdict is not None:
            return self._verdict
        writer = self._writer
        assert writer is not None  # noqa: S101 - only inside `async with`
        try:
            writer.write(struct.pack("!L", 0))
            async with asyncio.timeout(self._timeout):
                await writer.drain()
        except (ConnectionError, TimeoutError):
            pass
        self._verdict = await self._answer()
        return self._verdict

    async def _answer(self) -> Verdict:
        reader = self._reader
        assert reader is not None  # noqa: S101 - only inside `async with`
        try:
            async with asyncio.timeout(self._timeout):
                answer = await reader.readuntil(b"\0")
        except asyncio.IncompleteReadError as error:
            answer = error.partial
        except (OSError, TimeoutError, asyncio.LimitOverrunError) as error:
            raise ScannerUnavailable("clamd did not answer") from error
        if not answer:
            raise ScannerUnavailable("clamd closed the connection without an answer")
        return parse_answer(answer)
