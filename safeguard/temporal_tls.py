"""Mutual TLS to the Temporal frontend (`SAFEGUARD_TEMPORAL_TLS__*`).

Every process that talks to Temporal (the worker, the services that start or ask workflows, the
CLI's audit export) presents its own client certificate; the frontend refuses a connection
without one from the Temporal client CA, and its authorizer grants each certificate subject
only what that process needs (README, "Who may talk to Temporal"). Development and tests talk
to the local dev server in plain text; production refuses to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, model_validator


class PlaintextTemporalError(ValueError):
    """Production was configured to talk to Temporal without a client certificate."""


@dataclass(frozen=True)
class TlsFiles:
    """The PEM bytes a connection needs, read when the process connects."""

    client_cert: bytes
    client_key: bytes
    server_ca: bytes | None
    server_name: str | None


class TemporalTlsSettings(BaseModel):
    """PEM files mounted from a secret (cert-manager's `tls.crt`, `tls.key`, `ca.crt`)."""

    # This process's certificate and key: the subject is who Temporal's authorizer sees.
    client_cert: Path | None = None
    client_key: Path | None = None
    # The CA that signed the frontend's certificate; unset: the system's roots.
    server_ca: Path | None = None
    # The name on the frontend's certificate, if not the host of SAFEGUARD_TEMPORAL_ADDRESS.
    server_name: str | None = None

    @model_validator(mode="after")
    def _certificate_and_key_together(self) -> TemporalTlsSettings:
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("set both SAFEGUARD_TEMPORAL_TLS__CLIENT_CERT and __CLIENT_KEY")
        if self.client_cert is None and (self.server_ca or self.server_name):
            # Server-only TLS would still let anyone who reaches Temporal in: never half of it.
            raise ValueError("Temporal TLS needs this process's client certificate and key")
        return self

    @property
    def enabled(self) -> bool:
        """Whether connections to Temporal use mutual TLS."""
        return self.client_cert is not None

    def refuse_plaintext(self) -> None:
        """Raise unless connections to Temporal would present a client certificate."""
        if not self.enabled:
            raise PlaintextTemporalError(
                "set SAFEGUARD_TEMPORAL_TLS__CLIENT_CERT and __CLIENT_KEY (and __SERVER_CA for "
                "a private CA): production talks to Temporal over mutual TLS only"
            )

    def read(self) -> TlsFiles | None:
        """The files' contents now, or None for plain text (development and tests)."""
        if self.client_cert is None or self.client_key is None:
            return None
        return TlsFiles(
            client_cert=self.client_cert.read_bytes(),
            client_key=self.client_key.read_bytes(),
            server_ca=self.server_ca.read_bytes() if self.server_ca else None,
            server_name=self.server_name,
        )
