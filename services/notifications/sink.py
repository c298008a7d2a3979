"""A local SMTP server (aiosmtpd) that keeps what it receives: development's and tests' mail.

`safeguard run` gets one inside the notifications service, writing a Maildir under
`<data dir>/mail`, so every email the system sends can be read there.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP


class _Keep:
    """The aiosmtpd handler: each message to memory, and to a Maildir if one is given."""

    def __init__(self, received: list[EmailMessage], maildir: mailbox.Maildir | None) -> None:
        self._received = received
        self._maildir = maildir

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw: bytes = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)  # noqa: S101 - policy.default makes these
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self._received.append(message)
        if self._maildir is not None:
            self._maildir.add(message)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on the running event loop."""

    def __init__(self, *, host: str, port: int, maildir: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.received: list[EmailMessage] = []
        box = mailbox.Maildir(maildir, create=True) if maildir is not None else None
        self._handler = _Keep(self.received, box)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen (raises OSError if the port is taken)."""
        # aiosmtpd logs every sender and recipient address at INFO: personal data.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self._handler, hostname="safeguard-sink", loop=loop), self.host, self.port
        )

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
