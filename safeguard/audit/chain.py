"""Where writers found the audit log before it became a Merkle log (`safeguard.audit.log`)."""

from __future__ import annotations

from safeguard.audit.log.entries import Entry, append
from safeguard.audit.log.legacy import chain_key

__all__ = ["Entry", "append", "chain_key"]
