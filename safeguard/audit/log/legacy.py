"""The hash chain the log replaced, as its imported rows still show it.

Until migration 0018 every entry was chained by an HMAC (key `SAFEGUARD_AUDIT_CHAIN_KEY`) over
the previous row's hash and its own content, under one global lock. Its rows were imported as
the log's first entries, each keeping its chain position and hashes, followed by one entry
holding the chain's head and its HMAC. Checking them here shows the import dropped, changed
and reordered nothing: every imported row still verifies under the chain's own rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from safeguard.audit.log.entries import Entry, leaf_bytes
from safeguard.settings import Settings, get_settings

GENESIS = b"\x00" * 32


def chain_key(settings: Settings | None = None) -> bytes:
    """The chain's HMAC key from the given settings, or the process's."""
    return (settings or get_settings()).audit_chain_key.get_secret_value().encode()


def row_hash(key: bytes, prev_hash: bytes, at: datetime, entry: Entry) -> bytes:
    """The HMAC that chained a row to its predecessor (its content is the leaf's, sans chain)."""
    return hmac.new(key, prev_hash + leaf_bytes(at, entry), hashlib.sha256).digest()


def head_mac(key: bytes, seq: int, hash_: bytes) -> bytes:
    """The HMAC over the chain's head, so its tail could not be cut unnoticed."""
    return hmac.new(key, b"head:%d:" % seq + hash_, hashlib.sha256).digest()


@dataclass
class ChainCheck:
    """Follows the imported chain rows in log order; says what, if anything, is wrong."""

    key: bytes
    prev: bytes = GENESIS
    rows: int = 0

    def check(self, at: datetime, entry: Entry, chain: dict[str, Any]) -> str | None:
        """Why this imported row or head does not continue the chain, if it does not."""
        if "head_seq" in chain:
            head = base64.b64decode(chain["head_hash"])
            mac = base64.b64decode(chain["head_mac"])
            if not hmac.compare_digest(head_mac(self.key, chain["head_seq"], head), mac):
                return "the imported chain head's HMAC does not hold"
            if head != self.prev or chain["head_seq"] != self.rows:
                return (
                    f"the chain's head was row {chain['head_seq']}, the import ends at {self.rows}"
                )
            return None
        stored, prev = base64.b64decode(chain["hash"]), base64.b64decode(chain["prev_hash"])
        self.rows += 1
        if chain["seq"] != self.rows or prev != self.prev:
            return f"chain row {chain['seq']} does not follow row {self.rows - 1}"
        if not hmac.compare_digest(row_hash(self.key, prev, at, entry), stored):
            return f"chain row {chain['seq']} no longer matches its HMAC"
        self.prev = stored
        return None
