"""Both object stores keep, stream, find and delete sealed objects alike."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from aiobotocore.session import get_session
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from safeguard.attachments.objects import ObjectMissing, ObjectStore, object_key, object_store
from safeguard.attachments.settings import AttachmentSettings
from tests.helpers import free_port

BUCKET = "safeguard-attachments"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server (moto) on loopback, in a thread of the test process."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _s3(endpoint: str) -> AttachmentSettings:
    return AttachmentSettings(
        store="s3",
        s3_bucket=BUCKET,
        s3_endpoint_url=endpoint,
        s3_access_key_id=SecretStr("test"),
        s3_secret_access_key=SecretStr("test"),
    )


async def _make_bucket(endpoint: str) -> None:
    async with get_session().create_client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-2",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ) as client:
        try:
            await client.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
            )
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass


async def _round_trip(opened: AbstractAsyncContextManager[ObjectStore]) -> None:
    data = bytes(range(256)) * 4000  # about 1 MiB, read back in several chunks
    key = object_key(uuid.uuid4())
    async with opened as store:
        assert not await store.exists(key)
        await store.put(key, io.BytesIO(data), size=len(data))
        assert await store.exists(key)
        assert b"".join([chunk async for chunk in store.read(key)]) == data
        await store.delete([key])
        await store.delete([key])  # deleting what is gone is fine
        assert not await store.exists(key)
        with pytest.raises(ObjectMissing):
            await _drain(store.read(key))


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    async for _ in chunks:
        pass


async def test_the_local_store(tmp_path: Path) -> None:
    await _round_trip(object_store(AttachmentSettings(local_dir=tmp_path / "objects"), tmp_path))


async def test_the_s3_store(s3_endpoint: str, tmp_path: Path) -> None:
    await _make_bucket(s3_endpoint)
    await _round_trip(object_store(_s3(s3_endpoint), tmp_path))


def test_object_keys_name_nothing_but_a_random_id() -> None:
    attachment_id = uuid.uuid4()
    assert object_key(attachment_id) == f"attachments/{attachment_id}"


def test_production_keeps_no_files_in_a_pods_scratch_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="STORE=s3"):
        object_store(AttachmentSettings(), tmp_path, production=True)
    named = AttachmentSettings(local_dir=tmp_path / "shared")
    assert object_store(named, tmp_path, production=True) is not None
