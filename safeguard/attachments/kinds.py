"""A file's type from its content (magic bytes), never from its name or declared type."""

from __future__ import annotations

import struct

import puremagic

# How much of the file's start decides its type.
HEAD_BYTES = 8192

# The types a case may hold: documents, images and plain text. Archives, executables, scripts,
# HTML and anything puremagic cannot name are refused.
ALLOWED: dict[str, str] = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "text/plain": "plain text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
}

# Executable formats refused by their first bytes, whatever else a head might also match.
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 12, 13}
_ZIP = b"PK\x03\x04"
_ZIP_HEADER = struct.Struct("<4s4xH8xII2H")
# OOXML documents are zip archives told apart by the folders of their parts.
_OOXML_PARTS = {
    b"word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def detect(head: bytes) -> str | None:
    """The allowed media type the file's first bytes show, or None if they show no allowed one."""
    if not head or head.startswith(_EXECUTABLE_MAGIC):
        return None
    if head.startswith(_ZIP):
        # puremagic names any zip as every zip-based format alike: look inside ourselves.
        return _office_document(head)
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        matches = []
    if matches:
        best = max(match.confidence for match in matches)
        for match in matches:
            if match.confidence == best and match.mime_type in ALLOWED:
                return str(match.mime_type)
        return None
    return "text/plain" if _is_text(head) else None


def _office_document(head: bytes) -> str | None:
    """An OpenDocument (its first part, `mimetype`, names it uncompressed) or an OOXML
    document (its parts' folders); any other zip archive is refused."""
    if len(head) >= _ZIP_HEADER.size:
        _, method, size, _, name_length, extra = _ZIP_HEADER.unpack_from(head)
        start = _ZIP_HEADER.size + name_length + extra
        if method == 0 and head[_ZIP_HEADER.size : _ZIP_HEADER.size + name_length] == b"mimetype":
            named = head[start : start + size].decode("ascii", errors="replace")
            return named if named in ALLOWED else None
    for folder, media_type in _OOXML_PARTS.items():
        if folder in head:
            return media_type
    return None


def _is_text(head: bytes) -> bool:
    """UTF-8 without control characters; a multi-byte character cut at the end is allowed."""
    if _TEXT_CONTROLS & set(head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True
