"""Where sealed attachments are kept: a local directory, or an S3-compatible bucket.

Object keys are `attachments/<attachment id>`: a random id, nothing about the case or person.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol
from uuid import UUID

from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from safeguard.attachments.settings import AttachmentSettings

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

READ_CHUNK = 256 * 1024
# S3's DeleteObjects takes at most this many keys per call.
_DELETE_BATCH = 1000


def object_key(attachment_id: UUID) -> str:
    """The object's name in the store: a random id only."""
    return f"attachments/{attachment_id}"


class ObjectMissing(LookupError):
    """No object under that key (erased, or never stored)."""


class ObjectStore(Protocol):
    """Put, read and delete whole sealed objects."""

    async def put(self, key: str, source: IO[bytes], *, size: int) -> None:
        """Store the object read from `source` (at its start), replacing none: keys are new."""

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; `ObjectMissing` if there is none."""

    async def delete(self, keys: Sequence[str]) -> None:
        """Remove the objects (those already gone are fine)."""

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""


class LocalStore:
    """Objects as files under one directory (development, tests, a single machine)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key

    async def put(self, key: str, source: IO[bytes], *, size: int) -> None:
        """Copy to a temporary name, flush to disk, then rename: a reader never sees half."""
        await asyncio.to_thread(self._put, key, source)

    def _put(self, key: str, source: IO[bytes]) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = target.with_suffix(".partial")
        source.seek(0)
        with partial.open("wb") as out:
            while chunk := source.read(READ_CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The file's chunks, each read in a worker thread."""
        try:
            handle = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, READ_CHUNK):
                yield chunk
        finally:
            handle.close()

    async def delete(self, keys: Sequence[str]) -> None:
        """Unlink each file."""
        for key in keys:
            await asyncio.to_thread(self._path(key).unlink, True)

    async def exists(self, key: str) -> bool:
        """Whether the file is there."""
        return await asyncio.to_thread(self._path(key).exists)


class S3Store:
    """Objects in an S3-compatible bucket, through aiobotocore (one client per process)."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    async def put(self, key: str, source: IO[bytes], *, size: int) -> None:
        """One PutObject: attachments are within the size limit, far below S3's 5 GiB."""
        source.seek(0)
        await self._client.put_object(Bucket=self._bucket, Key=key, Body=source, ContentLength=size)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's body, streamed."""
        try:
            answer = await self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if _missing(error):
                raise ObjectMissing(key) from None
            raise
        async with answer["Body"] as body:
            async for chunk in body.iter_chunks(READ_CHUNK):
                yield chunk

    async def delete(self, keys: Sequence[str]) -> None:
        """DeleteObjects, a thousand keys at a time."""
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            await self._client.delete_objects(
                Bucket=self._bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )

    async def exists(self, key: str) -> bool:
        """HeadObject answers."""
        try:
            await self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True


def _missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound")


def object_store(
    settings: AttachmentSettings, data_dir: Path, *, production: bool = False
) -> AbstractAsyncContextManager[ObjectStore]:
    """The configured store, open for as long as the service runs. Production keeps files in a
    local directory only if one is named (shared storage): the data dir is a pod's scratch."""
    if production and settings.store == "local" and settings.local_dir is None:
        raise ValueError(
            "set SAFEGUARD_ATTACHMENTS__STORE=s3 (or __LOCAL_DIR on shared storage) in production"
        )
    return _opened(settings, data_dir)


@asynccontextmanager
async def _opened(settings: AttachmentSettings, data_dir: Path) -> AsyncIterator[ObjectStore]:
    if settings.store == "local":
        yield LocalStore(settings.local_dir or data_dir / "attachments")
        return
    if settings.s3_bucket is None:
        raise ValueError("the s3 attachment store needs SAFEGUARD_ATTACHMENTS__S3_BUCKET")
    key_id, secret = settings.s3_access_key_id, settings.s3_secret_access_key
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            get_session().create_client(
                "s3",
                endpoint_url=settings.s3_endpoint_url,
                region_name=settings.s3_region,
                aws_access_key_id=key_id.get_secret_value() if key_id else None,
                aws_secret_access_key=secret.get_secret_value() if secret else None,
            )
        )
        yield S3Store(client, settings.s3_bucket)
