"""Letters to a print queue: one JSON file per letter in a directory a print service collects.

A deployment routes the directory to its print service (a bureau's pickup, a mounted volume
that another process posts to a print API) or sends letters through GOV.UK Notify instead
(`letter_channel`). Each file is named by the notification's id and written whole (written
aside, then renamed), so a retried send replaces the same letter and a collector never reads
half of one. The files hold the addressee and the link's one-time code: only the service's
user may read them (0600), and the collector removes each letter it has taken.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from services.notifications.delivery import DeliveryError, Outgoing

SUFFIX = ".json"


class PrintQueueSender:
    """Puts each letter in the queue directory."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, outgoing: Outgoing) -> None:
        """Queue the letter, or raise `DeliveryError` (retried: the disk may come back)."""
        try:
            await asyncio.to_thread(self._write, outgoing)
        except OSError as error:
            raise DeliveryError(f"print queue unwritable ({type(error).__name__})") from None

    def _write(self, outgoing: Outgoing) -> None:
        self._directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        letter = {
            "id": str(outgoing.notification_id),
            "template": outgoing.message.template,
            "address_lines": outgoing.destination.address.splitlines(),
            "subject": outgoing.message.subject,
            "body": outgoing.message.body,
        }
        final = self._directory / f"{outgoing.notification_id}{SUFFIX}"
        partial = final.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(letter, file, ensure_ascii=False, indent=2)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, final)
