"""Files to upload in tests: documents that pass, and the ones that must be refused."""

from __future__ import annotations

from typing import Any

from safeguard.stack.clamd import EICAR

# A distinctive sentence: found nowhere at rest if the file is sealed.
SECRET_LINE = b"Chronology: Jordan Example told a teacher about the forum on 3 March."


def pdf(body: bytes = SECRET_LINE) -> bytes:
    """A small PDF (puremagic knows it by its header)."""
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
        + body
        + b"\n%%EOF\n"
    )


def executable() -> bytes:
    """A Windows executable's first bytes (`MZ`), as a file named like a PDF would carry."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 4096


def eicar() -> bytes:
    """The anti-virus test file."""
    return EICAR


def form(
    content: bytes,
    *,
    name: str = "chronology.pdf",
    declared: str = "application/pdf",
    document_type: str = "chronology",
    title: str = "Chronology for Jordan Example",
    police_only: bool | None = None,
) -> dict[str, Any]:
    """httpx keyword arguments for a multipart upload."""
    data = {"document_type": document_type, "title": title}
    if police_only is not None:
        data["police_only"] = "true" if police_only else "false"
    return {"files": {"file": (name, content, declared)}, "data": data}
