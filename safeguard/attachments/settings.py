"""Configuration of case attachments (`SAFEGUARD_ATTACHMENTS__*`).

Development needs nothing: files go to `<data dir>/attachments` and are scanned by the stack's
own `clamd`. Production points at an S3-compatible bucket and its own ClamAV daemon.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class AttachmentSettings(BaseModel):
    """Size limit, scanner and object store of attachments."""

    # The largest file accepted, in bytes (the whole request may be a few KiB more).
    max_bytes: int = Field(25 * 1024 * 1024, gt=0)
    # None: the local stack's clamd on 127.0.0.1:<stack.clamd>.
    clamd_host: str | None = None
    clamd_port: int | None = None
    # How long one file's scan may take before the upload is refused as unscannable.
    scan_timeout_seconds: float = Field(60.0, gt=0)
    # `local`: files under `local_dir`; `s3`: an S3-compatible bucket.
    store: Literal["local", "s3"] = "local"
    # Unset: <data dir>/attachments.
    local_dir: Path | None = None
    s3_bucket: str | None = None
    # Unset: AWS itself; set for MinIO, Ceph or another S3-compatible store.
    s3_endpoint_url: str | None = None
    s3_region: str = "eu-west-2"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    # Where uploads wait, sealed, while they are scanned. Unset: the system's temp dir.
    spool_dir: Path | None = None
