"""The upload path's pieces: the streamed size cap, typing by content, sealing in chunks."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safeguard.attachments.kinds import detect
from safeguard.attachments.receiving import FORM_OVERHEAD, Limits, receive
from safeguard.attachments.scanner import parse_answer
from safeguard.attachments.sealing import CHUNK, Sealer, unsealed
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.envelope import DataKey, SealedValueError
from safeguard.stack import Stack
from tests.attachments.files import eicar, executable, pdf

BOUNDARY = "sgboundary"
PIECE = 64 * 1024


def _key() -> DataKey:
    return DataKey(uuid.uuid4(), AESGCM.generate_key(256))


class Endless:
    """A form whose file never ends, counting what the reader took."""

    def __init__(self) -> None:
        self.sent = 0

    async def stream(self) -> AsyncIterator[bytes]:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file";'
            ' filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        for piece in (head, pdf(b"")):
            self.sent += len(piece)
            yield piece
        while True:
            self.sent += PIECE
            yield b"x" * PIECE


async def test_an_oversized_file_is_refused_while_it_streams(clamd: Stack) -> None:
    limits = Limits(
        max_bytes=1024 * 1024,
        clamd_host="127.0.0.1",
        clamd_port=clamd.clamd_port(),
        scan_timeout=10.0,
    )
    body = Endless()
    with pytest.raises(ProblemError) as refused:
        await receive(
            body.stream(),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            content_length=None,
            limits=limits,
            key=_key(),
            attachment_id=uuid.uuid4(),
        )
    assert refused.value.problem.status == 413
    # Refused once past the limit: an endless body is never read whole.
    assert body.sent <= limits.max_bytes + FORM_OVERHEAD + PIECE


async def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    limits = Limits(max_bytes=1024, clamd_host="127.0.0.1", clamd_port=9, scan_timeout=1.0)

    async def nothing() -> AsyncIterator[bytes]:
        raise AssertionError("the body was read")
        yield b""

    with pytest.raises(ProblemError) as refused:
        await receive(
            nothing(),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            content_length=str(10 * 1024 * 1024),
            limits=limits,
            key=_key(),
            attachment_id=uuid.uuid4(),
        )
    assert refused.value.problem.status == 413


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (pdf(), "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 64, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 64, "image/jpeg"),
        ("Notes from the meeting: café.\n".encode(), "text/plain"),
        (eicar(), "text/plain"),  # a text file: the scanner, not the type check, refuses it
        (executable(), None),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 64, None),
        (b"#!/bin/sh\nrm -rf /\n", None),
        (b"<html><script>alert(1)</script></html>", None),  # HTML is known, and not allowed
        (b"PK\x03\x04\x14\x00\x00\x00" + b"\0" * 64, None),  # a bare zip archive
        (b"\0\1\2\3binary", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_content(head: bytes, expected: str | None) -> None:
    assert detect(head) == expected


def test_answers_of_clamd() -> None:
    assert parse_answer(b"stream: OK\0").clean
    found = parse_answer(b"stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0")
    assert not found.clean and found.finding == "Eicar-Test-Signature.UNOFFICIAL"
    limit = parse_answer(b"INSTREAM size limit exceeded. ERROR\0")
    assert limit.unreadable and not limit.clean


async def _chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _opened(key: DataKey, attachment_id: uuid.UUID, sealed: bytes) -> bytes:
    return b"".join([piece async for piece in unsealed(key, attachment_id, _chunks(sealed))])


async def test_a_sealed_file_opens_only_whole_and_in_place() -> None:
    key, attachment_id = _key(), uuid.uuid4()
    plain = bytes(range(256)) * (CHUNK // 128 + 3)  # a little over two chunks
    sealer = Sealer(key, attachment_id)
    sealed = sealer.feed(plain[:5000]) + sealer.feed(plain[5000:]) + sealer.finish()
    assert await _opened(key, attachment_id, sealed) == plain
    assert plain[:64] not in sealed
    with pytest.raises(SealedValueError):
        await _opened(key, uuid.uuid4(), sealed)  # another attachment's place
    with pytest.raises(SealedValueError):
        await _opened(key, attachment_id, sealed[: len(sealed) - 40])  # cut short
    with pytest.raises(SealedValueError):
        await _opened(_key(), attachment_id, sealed)  # another case's key


def _zip(first: str, content: bytes, *, stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(first)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        archive.writestr(info, content)
        archive.writestr("content.xml", b"<document/>")
    return buffer.getvalue()


def test_office_documents_are_told_from_other_zip_archives() -> None:
    odt = _zip("mimetype", b"application/vnd.oasis.opendocument.text", stored=True)
    assert detect(odt) == "application/vnd.oasis.opendocument.text"
    docx = _zip("[Content_Types].xml", b"<Types/>") + _zip("word/document.xml", b"<w/>")
    assert detect(docx) == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert detect(_zip("mimetype", b"application/epub+zip", stored=True)) is None
    assert detect(_zip("payload.exe", executable())) is None


async def test_a_body_that_is_no_multipart_form_is_a_400(clamd: Stack) -> None:
    limits = Limits(
        max_bytes=1024, clamd_host="127.0.0.1", clamd_port=clamd.clamd_port(), scan_timeout=10.0
    )

    async def broken() -> AsyncIterator[bytes]:
        yield f"--{BOUNDARY}\r\nNone--{BOUNDARY}--\r\n".encode()

    with pytest.raises(ProblemError) as refused:
        await receive(
            broken(),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            content_length=None,
            limits=limits,
            key=_key(),
            attachment_id=uuid.uuid4(),
        )
    assert refused.value.problem.status == 400
    assert refused.value.problem.title == "Malformed upload"
