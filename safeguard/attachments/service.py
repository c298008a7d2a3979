"""Attachments of a case: upload, list, download and erase, the same for every service.

The calling service has already decided that its caller may see the case (and which of its
attachments); this module checks the file, seals and stores it, and logs every download as a
read. Every service seals with the same `attachments` data key of the case, so an officer can
read what a partner attached through intake.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

import asyncpg
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from safeguard.access_log import record_reader_read
from safeguard.attachments import store
from safeguard.attachments.models import AttachmentFields, AttachmentRead, DocumentType
from safeguard.attachments.objects import ObjectStore, object_key, object_store
from safeguard.attachments.receiving import Limits, Received, receive
from safeguard.attachments.sealing import unsealed
from safeguard.db.pool import Connection, Pool
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.envelope import DataKey, FieldRef
from safeguard.fieldcrypt.keyring import Keyring, MissingKeyError
from safeguard.fieldcrypt.keys import KeyDestroyedError
from safeguard.fieldcrypt.setup import service_keyring
from safeguard.settings import Settings

# The keyring namespace of attachments: one data key per case, shared by the services.
KEYRING_SERVICE = "attachments"
_TABLE = "attachments.attachments"


@dataclass(frozen=True)
class Uploader:
    """Who attaches: a staff subject or a partner's client id, their role, and the service."""

    subject: str
    role: str
    via: str


@dataclass(frozen=True)
class Viewer:
    """What a reader may see of a case's attachments: police-only ones, or only their own."""

    police: bool
    own_only: str | None = None


class Attachments:
    """A service's way to the attachment records, their keys and the object store."""

    def __init__(self, *, keyring: Keyring, objects: ObjectStore, limits: Limits) -> None:
        self.keyring = keyring
        self.objects = objects
        self.limits = limits

    async def upload(
        self,
        pool: Pool,
        request: Request,
        *,
        referral_id: UUID,
        uploader: Uploader,
        may_mark_police_only: bool,
        base_url: str,
    ) -> AttachmentRead:
        """Receive, check, scan and seal the request's file, then store it; refusals store
        nothing."""
        attachment_id = uuid.uuid4()
        async with pool.acquire() as conn:
            key = await self._key(conn, referral_id, create=True)
        received = await receive(
            request.stream(),
            content_type=request.headers.get("content-type", ""),
            content_length=request.headers.get("content-length"),
            limits=self.limits,
            key=key,
            attachment_id=attachment_id,
        )
        try:
            fields = _fields(received, may_mark_police_only=may_mark_police_only)
            return await self._keep(
                pool,
                received,
                fields,
                key=key,
                ids=(attachment_id, referral_id),
                uploader=uploader,
                base_url=base_url,
            )
        finally:
            received.close()

    async def _keep(
        self,
        pool: Pool,
        received: Received,
        fields: AttachmentFields,
        *,
        key: DataKey,
        ids: tuple[UUID, UUID],
        uploader: Uploader,
        base_url: str,
    ) -> AttachmentRead:
        attachment_id, referral_id = ids
        file_name = received.file_name[:255]
        row = store.NewAttachment(
            id=attachment_id,
            referral_id=referral_id,
            uploaded_by=uploader.subject,
            uploaded_role=uploader.role,
            uploaded_via=uploader.via,
            document_type=fields.document_type.value,
            police_only=fields.police_only,
            title_sealed=key.seal(fields.title.encode(), _where(attachment_id, "title")),
            file_name_sealed=key.seal(file_name.encode(), _where(attachment_id, "file_name")),
            media_type=received.media_type,
            size_bytes=received.size,
            sha256=received.sha256,
            object_key=object_key(attachment_id),
            information_id=None,
        )
        await self.objects.put(row.object_key, received.spool, size=received.sealed_size)
        try:
            async with pool.acquire() as conn:
                uploaded_at = await store.insert(conn, row)
        except BaseException:
            await self.objects.delete([row.object_key])
            raise
        return AttachmentRead(
            id=attachment_id,
            document_type=fields.document_type,
            title=fields.title,
            file_name=file_name,
            media_type=row.media_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256.hex(),
            uploaded_at=uploaded_at,
            uploaded_by=uploader.subject,
            uploaded_role=uploader.role,
            police_only=row.police_only,
            download_url=f"{base_url}/{attachment_id}",
        )

    async def listing(
        self, conn: Connection, *, referral_id: UUID, viewer: Viewer, base_url: str
    ) -> list[AttachmentRead]:
        """The attachments the viewer may see, titles and names opened (the caller logs it)."""
        rows = await store.of_case(
            conn, referral_id=referral_id, police=viewer.police, uploaded_by=viewer.own_only
        )
        if not rows:
            return []
        key = await self._key(conn, referral_id, create=False)
        return [_read(row, key, base_url) for row in rows]

    async def logged_listing(
        self,
        conn: Connection,
        *,
        referral_id: UUID,
        viewer: Viewer,
        base_url: str,
        reader: tuple[str, str],
        service: str,
        purpose: str,
    ) -> list[AttachmentRead]:
        """`listing`, with the read logged in the same transaction (as staff reads are, even of
        an empty list: the case was looked at)."""
        async with conn.transaction():
            listed = await self.listing(
                conn, referral_id=referral_id, viewer=viewer, base_url=base_url
            )
            await record_reader_read(
                conn,
                service=service,
                reader=reader,
                referral_id=referral_id,
                fields=["attachments"],
                purpose=purpose,
            )
        return listed

    async def download(
        self,
        conn: Connection,
        *,
        referral_id: UUID,
        attachment_id: UUID,
        viewer: Viewer,
        reader: tuple[str, str],
        service: str,
        purpose: str,
    ) -> StreamingResponse:
        """The file as a download; the read is logged before any byte leaves."""
        async with conn.transaction():
            row = await store.one(
                conn,
                referral_id=referral_id,
                attachment_id=attachment_id,
                police=viewer.police,
                uploaded_by=viewer.own_only,
            )
            if row is None:
                raise unknown_attachment()
            key = await self._key(conn, referral_id, create=False)
            await record_reader_read(
                conn,
                service=service,
                reader=reader,
                referral_id=referral_id,
                fields=[f"attachments.{attachment_id}"],
                purpose=purpose,
            )
        file_name = key.open(row["file_name_sealed"], _where(attachment_id, "file_name")).decode()
        body = unsealed(key, attachment_id, self.objects.read(row["object_key"]))
        return StreamingResponse(
            body,
            media_type=row["media_type"],
            headers=download_headers(file_name, size=row["size_bytes"]),
        )

    async def erase(self, conn: Connection, referral_id: UUID) -> int:
        """Delete the case's objects, rows and data key; how many objects went."""
        keys = await store.object_keys(conn, referral_id)
        # Objects first: were the transaction to fail after, the rows still name them, and
        # the redelivered event deletes again (deleting what is gone is fine).
        await self.objects.delete(keys)
        await store.erase(conn, referral_id, objects=len(keys))
        await self.keyring.destroy(conn, referral_id)
        return len(keys)

    async def _key(self, conn: Connection, referral_id: UUID, *, create: bool) -> DataKey:
        try:
            if create:
                return await self.keyring.key_or_new(conn, referral_id)
            return await self.keyring.key(conn, referral_id)
        except (KeyDestroyedError, MissingKeyError):
            raise ProblemError(
                404, "Unknown case", "No case with that reference that you may see."
            ) from None


def unknown_attachment() -> ProblemError:
    """404 for an attachment the caller may not see, exactly as for one that does not exist."""
    return ProblemError(404, "Unknown attachment", "No attachment with that id that you may see.")


def download_headers(file_name: str, *, size: int) -> dict[str, str]:
    """Always a download, never rendered: the browser must not sniff or display it."""
    ascii_name = (
        "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name)
        or "attachment"
    )
    return {
        "Content-Disposition": f'attachment; filename="{ascii_name}";'
        f" filename*=UTF-8''{quote(file_name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Content-Length": str(size),
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }


def _fields(received: Received, *, may_mark_police_only: bool) -> AttachmentFields:
    try:
        fields = AttachmentFields.model_validate(received.fields)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None
    if fields.police_only and not may_mark_police_only:
        raise ProblemError(403, "Forbidden", "Only the police may mark an attachment police-only.")
    return fields


def _where(attachment_id: UUID, column: str) -> FieldRef:
    return FieldRef(_TABLE, column, attachment_id)


def _read(row: asyncpg.Record, key: DataKey, base_url: str) -> AttachmentRead:
    attachment_id: UUID = row["id"]
    return AttachmentRead(
        id=attachment_id,
        document_type=DocumentType(row["document_type"]),
        title=key.open(row["title_sealed"], _where(attachment_id, "title")).decode(),
        file_name=key.open(row["file_name_sealed"], _where(attachment_id, "file_name")).decode(),
        media_type=row["media_type"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"].hex(),
        uploaded_at=row["uploaded_at"],
        uploaded_by=row["uploaded_by"],
        uploaded_role=row["uploaded_role"],
        police_only=row["police_only"],
        download_url=f"{base_url}/{attachment_id}",
    )


def limits_for(settings: Settings) -> Limits:
    """The upload limits and scanner address from settings (the stack's clamd by default)."""
    config = settings.attachments
    host, _, port = settings.clamd_address().rpartition(":")
    return Limits(
        max_bytes=config.max_bytes,
        clamd_host=host,
        clamd_port=int(port),
        scan_timeout=config.scan_timeout_seconds,
        spool_dir=config.spool_dir,
    )


@asynccontextmanager
async def attachments_for(settings: Settings) -> AsyncIterator[Attachments]:
    """Keys, store and limits, for as long as the service runs."""
    async with contextlib.AsyncExitStack() as stack:
        keyring = await stack.enter_async_context(
            service_keyring(settings, service=KEYRING_SERVICE)
        )
        objects = await stack.enter_async_context(
            object_store(
                settings.attachments,
                settings.data_dir,
                production=settings.environment == "production",
            )
        )
        yield Attachments(keyring=keyring, objects=objects, limits=limits_for(settings))


async def _attachments(request: Request) -> Attachments:
    attachments: Attachments = request.app.state.attachments
    return attachments


AttachmentsDep = Annotated[Attachments, Depends(_attachments)]
