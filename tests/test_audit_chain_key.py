"""Production needs the old hash chain's key only where the audit log is signed or verified:
writers of the log (every service, the worker, the CLI's other commands) hold no audit key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from safeguard.settings import DEV_AUDIT_CHAIN_KEY, Settings

VERIFIER_KEY = "cases.safeguard.example/audit-log+0a1b2c3d+AQ=="


def _production(**more: Any) -> Settings:
    return Settings.model_validate(
        {
            "environment": "production",
            "payload_keys": {"prod-1": "cHJvZHVjdGlvbi1wYXlsb2FkLWtleS0wMDAwMDAwMDA="},
            "payload_active_key": "prod-1",
        }
        | more
    )


def test_a_process_that_only_writes_the_log_needs_no_chain_key() -> None:
    assert _production().audit_chain_key.get_secret_value() == DEV_AUDIT_CHAIN_KEY


@pytest.mark.parametrize(
    "audit_log",
    [
        {"signing_key_file": Path("/etc/safeguard/audit-log/signing-key.pem")},
        {"verifier_key": VERIFIER_KEY},
    ],
    ids=["signs", "verifies"],
)
def test_a_process_that_signs_or_verifies_the_log_needs_a_real_chain_key(
    audit_log: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError, match="set SAFEGUARD_AUDIT_CHAIN_KEY"):
        _production(audit_log=audit_log)
    with pytest.raises(ValidationError, match="set SAFEGUARD_AUDIT_CHAIN_KEY"):
        _production(audit_log=audit_log, audit_chain_key=DEV_AUDIT_CHAIN_KEY)
    settings = _production(audit_log=audit_log, audit_chain_key="a-real-chain-key")
    assert settings.audit_chain_key.get_secret_value() == "a-real-chain-key"


def test_development_keeps_its_default() -> None:
    settings = Settings(environment="development", audit_log={"verifier_key": VERIFIER_KEY})
    assert settings.audit_chain_key.get_secret_value() == DEV_AUDIT_CHAIN_KEY
