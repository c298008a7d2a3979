"""The audit log: a verifiable log (RFC 9162) of every case action and every read of case data."""
