"""An upload read as it arrives: capped, typed from its first bytes, scanned and sealed.

The request is a `multipart/form-data` form with one file (`file`) and a few short fields.
Nothing holds the file whole: each piece that arrives is hashed, fed to clamd and sealed into a
temporary spool file, so memory stays flat whatever the size, and a file over the limit is
refused as soon as the limit is passed (or at once, from `Content-Length`).
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from uuid import UUID

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from safeguard.attachments import kinds
from safeguard.attachments.scanner import ScannerUnavailable, StreamScan
from safeguard.attachments.sealing import Sealer
from safeguard.errors import ProblemError
from safeguard.fieldcrypt.envelope import DataKey

if TYPE_CHECKING:
    # Defined for type checkers only.
    from python_multipart.multipart import MultipartCallbacks

# Room for the form's boundaries, part headers and short fields beyond the file itself.
FORM_OVERHEAD = 64 * 1024
FIELD_MAX = 1024
FILE_FIELD = "file"
# The form's other fields; any other name is refused, as unknown JSON members are.
FORM_FIELDS = frozenset({"document_type", "title", "police_only"})


@dataclass(frozen=True)
class Limits:
    """What one upload may be, and where its scanner listens."""

    max_bytes: int
    clamd_host: str
    clamd_port: int
    scan_timeout: float
    spool_dir: Path | None = None


@dataclass
class Received:
    """A file that passed every check, sealed in `spool` (deleted when closed)."""

    fields: dict[str, str]
    file_name: str
    media_type: str
    size: int
    sha256: bytes
    spool: IO[bytes]
    sealed_size: int

    def close(self) -> None:
        """Delete the spool file."""
        self.spool.close()


def too_large(limits: Limits) -> ProblemError:
    """413: the file is over the limit."""
    return ProblemError(
        413,
        "Attachment too large",
        f"Files are limited to {limits.max_bytes // (1024 * 1024)} MiB.",
    )


def _type_refused() -> ProblemError:
    allowed = ", ".join(sorted(set(kinds.ALLOWED.values())))
    return ProblemError(
        415,
        "File type not allowed",
        f"The file's content is not of an accepted type ({allowed}); its name and declared"
        " type are not taken into account.",
    )


def _unreadable(detail: str) -> ProblemError:
    return ProblemError(422, "Unreadable file", detail)


def boundary_of(content_type: str) -> bytes:
    """The multipart boundary; 415 if the body is not a multipart form."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ProblemError(
            415,
            "Upload not multipart",
            "Send the file as `multipart/form-data` with a `file` part.",
        )
    return boundary


@dataclass
class _Part:
    name: str = ""
    file_name: str | None = None
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_field: bytes = b""
    header_value: bytes = b""


class _FormEvents:
    """Collects the parser's callbacks (plain functions) for the async loop to act on."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.part = _Part()

    def callbacks(self) -> MultipartCallbacks:  # a TypedDict of the parser's callbacks
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._field,
            "on_header_value": self._value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": lambda: self.events.append(("end", None)),
        }

    def _begin(self) -> None:
        self.part = _Part()

    def _field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def _header_end(self) -> None:
        self.part.headers[self.part.header_field.lower()] = self.part.header_value
        self.part.header_field = self.part.header_value = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        self.part.name = options.get(b"name", b"").decode("utf-8", errors="replace")
        raw = options.get(b"filename")
        self.part.file_name = None if raw is None else raw.decode("utf-8", errors="replace")
        self.events.append(("part", self.part))

    def _data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(("data", data[start:end]))


class _FileSink:
    """The file part: type check on its head, then hash, scan and seal piece by piece."""

    def __init__(self, limits: Limits, scan: StreamScan, sealer: Sealer, spool: IO[bytes]) -> None:
        self.limits = limits
        self.scan = scan
        self.sealer = sealer
        self.spool = spool
        self.hash = hashlib.sha256()
        self.head = bytearray()
        self.media_type: str | None = None
        self.size = 0
        self.sealed_size = 0

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limits.max_bytes:
            raise too_large(self.limits)
        if self.media_type is None:
            self.head += data
            if len(self.head) < kinds.HEAD_BYTES:
                return
            data = self._typed()
        await self._pass_on(data)

    async def finish(self) -> None:
        if self.media_type is None:
            if not self.head:
                raise _unreadable("The file is empty.")
            await self._pass_on(self._typed())
        await self._spool(self.sealer.finish())

    def _typed(self) -> bytes:
        self.media_type = kinds.detect(bytes(self.head[: kinds.HEAD_BYTES]))
        if self.media_type is None:
            raise _type_refused()
        data, self.head = bytes(self.head), bytearray()
        return data

    async def _pass_on(self, data: bytes) -> None:
        self.hash.update(data)
        await self.scan.feed(data)
        await self._spool(self.sealer.feed(data))

    async def _spool(self, sealed: bytes) -> None:
        if sealed:
            self.sealed_size += len(sealed)
            await asyncio.to_thread(self.spool.write, sealed)


async def receive(
    stream: AsyncIterator[bytes],
    *,
    content_type: str,
    content_length: str | None,
    limits: Limits,
    key: DataKey,
    attachment_id: UUID,
) -> Received:
    """Read the form, refusing as early as possible; the caller closes what it returns."""
    boundary = boundary_of(content_type)
    if content_length and content_length.isdigit():
        if int(content_length) > limits.max_bytes + FORM_OVERHEAD:
            raise too_large(limits)
    spool: IO[bytes] = await asyncio.to_thread(
        tempfile.TemporaryFile, mode="w+b", dir=limits.spool_dir
    )
    try:
        return await _receive(stream, boundary, limits, key, attachment_id, spool)
    except BaseException:
        spool.close()
        raise


async def _receive(
    stream: AsyncIterator[bytes],
    boundary: bytes,
    limits: Limits,
    key: DataKey,
    attachment_id: UUID,
    spool: IO[bytes],
) -> Received:
    collected = _FormEvents()
    parser = MultipartParser(boundary, collected.callbacks())
    fields: dict[str, str] = {}
    try:
        async with StreamScan(
            limits.clamd_host, limits.clamd_port, timeout=limits.scan_timeout
        ) as scan:
            sink = _FileSink(limits, scan, Sealer(key, attachment_id), spool)
            file_name = await _read_form(stream, parser, collected, sink, fields, limits)
            await sink.finish()
            verdict = await scan.verdict()
    except ScannerUnavailable:
        raise ProblemError(
            503,
            "Scanner unavailable",
            "Files cannot be checked for viruses just now, so none is accepted; retry later.",
            headers={"Retry-After": "30"},
        ) from None
    if verdict.unreadable:
        raise _unreadable("The virus scanner could not read the file, so it was not accepted.")
    if not verdict.clean:
        raise ProblemError(
            422,
            "Infected file",
            f"The virus scanner found {verdict.finding} in the file; it was not stored.",
        )
    assert sink.media_type is not None  # noqa: S101 - finish() typed it or refused
    return Received(
        fields=fields,
        file_name=file_name,
        media_type=sink.media_type,
        size=sink.size,
        sha256=sink.hash.digest(),
        spool=spool,
        sealed_size=sink.sealed_size,
    )


async def _read_form(
    stream: AsyncIterator[bytes],
    parser: MultipartParser,
    collected: _FormEvents,
    sink: _FileSink,
    fields: dict[str, str],
    limits: Limits,
) -> str:
    """Feed the parser and act on its events; the file part's name, once the form ends."""
    received = 0
    file_name: str | None = None
    current: _Part | None = None
    value = bytearray()
    async for chunk in stream:
        received += len(chunk)
        if received > limits.max_bytes + FORM_OVERHEAD:
            raise too_large(limits)
        _parse(parser, chunk)
        events, collected.events = collected.events, []
        for kind, payload in events:
            if kind == "part":
                current, value = payload, bytearray()
                if current.name not in FORM_FIELDS | {FILE_FIELD}:
                    raise _form_error(f"The form has a field it does not take: `{current.name}`.")
                if current.name == FILE_FIELD:
                    if file_name is not None:
                        raise _form_error("Send one file per upload.")
                    file_name = (current.file_name or "").strip() or "unnamed"
            elif kind == "data" and current is not None:
                if current.name == FILE_FIELD:
                    await sink.write(payload)
                else:
                    value += payload
                    if len(value) > FIELD_MAX:
                        raise _form_error(f"The field `{current.name}` is too long.")
            elif kind == "end" and current is not None:
                if current.name != FILE_FIELD:
                    fields[current.name] = value.decode("utf-8", errors="replace")
                current = None
    _parse(parser, None)
    if file_name is None:
        raise _form_error("The form has no `file` part.")
    return file_name


def _parse(parser: MultipartParser, chunk: bytes | None) -> None:
    """Feed the parser (None: the body ended); a body that is no multipart form is a 400."""
    try:
        if chunk is None:
            parser.finalize()
        else:
            parser.write(chunk)
    except FormParserError:
        raise _form_error("The body is not a well-formed multipart form.") from None


def _form_error(detail: str) -> ProblemError:
    return ProblemError(400, "Malformed upload", detail)
