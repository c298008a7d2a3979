"""A file sealed with its case's data key, in chunks, so neither end holds it whole.

Each 64 KiB of the file is sealed on its own (`DataKey.seal`, AES-256-GCM) and bound to the
attachment, its place in the file and whether it is the end: a chunk moved to another file or
place, dropped, or a file cut short does not open. A sealed object is `SGA1` then records of
`flag (1 byte) | length (4 bytes) | sealed chunk`; the last record (flag 1) seals nothing and
says the file ends there.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from uuid import UUID

from safeguard.fieldcrypt.envelope import DataKey, FieldRef, SealedValueError

MAGIC = b"SGA1"
CHUNK = 64 * 1024
_DATA, _END = 0, 1
_HEADER = struct.Struct("!BL")


def _where(attachment_id: UUID, index: int, flag: int) -> FieldRef:
    kind = "end" if flag == _END else "chunk"
    return FieldRef("attachments.objects", f"{kind}-{index}", attachment_id)


class Sealer:
    """Seals a file as it arrives; what `feed` and `finish` return is written out in order."""

    def __init__(self, key: DataKey, attachment_id: UUID) -> None:
        self._key = key
        self._id = attachment_id
        self._pending = bytearray()
        self._index = 0
        self._started = False

    def feed(self, data: bytes) -> bytes:
        """The records sealed from whole chunks so far (the rest waits for more)."""
        self._pending += data
        out = bytearray(self._start())
        while len(self._pending) >= CHUNK:
            out += self._record(bytes(self._pending[:CHUNK]), _DATA)
            del self._pending[:CHUNK]
        return bytes(out)

    def finish(self) -> bytes:
        """The last partial chunk and the end record."""
        out = bytearray(self._start())
        if self._pending:
            out += self._record(bytes(self._pending), _DATA)
            self._pending.clear()
        out += self._record(b"", _END)
        return bytes(out)

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return MAGIC

    def _record(self, plain: bytes, flag: int) -> bytes:
        sealed = self._key.seal(plain, _where(self._id, self._index, flag))
        self._index += 1
        return _HEADER.pack(flag, len(sealed)) + sealed


async def unsealed(
    key: DataKey, attachment_id: UUID, sealed: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """The file's bytes, chunk by chunk, from its sealed object; `SealedValueError` if the
    object was altered, moved or cut short (raised before the chunk it concerns is yielded)."""
    buffer = bytearray()
    index = 0
    magic_seen = False
    ended = False
    async for piece in sealed:
        buffer += piece
        if not magic_seen:
            if len(buffer) < len(MAGIC):
                continue
            if bytes(buffer[: len(MAGIC)]) != MAGIC:
                raise SealedValueError("not a sealed attachment")
            del buffer[: len(MAGIC)]
            magic_seen = True
        while len(buffer) >= _HEADER.size and not ended:
            flag, length = _HEADER.unpack_from(buffer)
            if len(buffer) < _HEADER.size + length:
                break
            record = bytes(buffer[_HEADER.size : _HEADER.size + length])
            del buffer[: _HEADER.size + length]
            plain = key.open(record, _where(attachment_id, index, flag))
            index += 1
            if flag == _END:
                ended = True
            elif plain:
                yield plain
    if not ended or buffer:
        raise SealedValueError("the sealed attachment is cut short or has bytes after its end")
