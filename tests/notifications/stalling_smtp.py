"""A real SMTP server (aiosmtpd) that takes each message and holds its reply until released.

A sender talking to it is caught mid-send for as long as a test likes: the moment a crash or a
slow mail server leaves a notification's outcome unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.smtp import SMTP


class _Hold:
    def __init__(self) -> None:
        self.arrived: list[str] = []
        self.release = asyncio.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.arrived.append(str(message["Message-ID"]))
        await self.release.wait()
        return "250 Message accepted for delivery"


class StallingSmtp:
    """Each message's Message-ID in `arrived` as its data comes in; no reply until `release()`."""

    def __init__(self, handler: _Hold, host: str, port: int) -> None:
        self._handler = handler
        self.host = host
        self.port = port

    @property
    def arrived(self) -> list[str]:
        """The Message-IDs received so far, each held until released."""
        return self._handler.arrived

    def release(self) -> None:
        """Answer every held message, and any later one at once."""
        self._handler.release.set()


@asynccontextmanager
async def stalling_smtp(host: str, port: int) -> AsyncIterator[StallingSmtp]:
    """The server on `host:port` while the block runs."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # it logs addresses at INFO
    handler = _Hold()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="stalling-sink", loop=loop), host, port
    )
    try:
        yield StallingSmtp(handler, host, port)
    finally:
        handler.release.set()
        server.close()
        await server.wait_closed()
