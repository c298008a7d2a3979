"""Staff bearer tokens from fixed key sets (configured, or the development key)."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from safeguard.auth.staff import (
    StaffPrincipal,
    StaffTokenError,
    development_signing_key,
    mint,
    public_key_set,
)
from safeguard.auth.staff_keys import StaticKeys
from safeguard.auth.staff_verifier import StaffVerifier, verifier_for
from safeguard.codes import Role
from safeguard.settings import Settings

OFFICER = StaffPrincipal(subject="officer-17", role=Role.PREVENT_OFFICER, areas=("E09000033",))


def _token(key: dict[str, object], *, ttl: int = 600, audience: str = "safeguard") -> str:
    return mint(key, principal=OFFICER, issuer="idp", audience=audience, ttl_seconds=ttl)


def _verifier(key: dict[str, object]) -> StaffVerifier:
    return StaffVerifier({"idp": StaticKeys(public_key_set(key))}, audience="safeguard")


async def test_a_valid_token_names_its_principal(tmp_path: Path) -> None:
    key = development_signing_key(tmp_path)
    assert await _verifier(key).verify(_token(key)) == OFFICER
    assert (tmp_path / "keys/staff-signing-key.json").stat().st_mode & 0o077 == 0


def test_minted_tokens_carry_roles_as_an_identity_provider_does(tmp_path: Path) -> None:
    claims = jwt.decode(
        _token(development_signing_key(tmp_path)), options={"verify_signature": False}
    )
    assert claims["roles"] == ["prevent_officer"]
    assert "role" not in claims


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("expired", "token expired"),
        ("other_key", "token signed by an unknown key"),
        ("audience", "token rejected: InvalidAudienceError"),
        ("garbage", "token rejected: DecodeError"),
    ],
)
async def test_untrustworthy_tokens_are_refused_with_a_reason(
    tmp_path: Path, case: str, reason: str
) -> None:
    key = development_signing_key(tmp_path / "ours")
    tokens = {
        "expired": _token(key, ttl=-60),
        "other_key": _token(development_signing_key(tmp_path / "theirs")),
        "audience": _token(key, audience="elsewhere"),
        "garbage": "not.a.jwt",
    }
    with pytest.raises(StaffTokenError, match=reason):
        await _verifier(key).verify(tokens[case])


async def test_configured_key_set_is_used_and_a_trust_required_in_production(
    tmp_path: Path,
) -> None:
    key = development_signing_key(tmp_path)
    settings = Settings(
        environment="test", staff_jwks=json.dumps(public_key_set(key)), staff_token_issuer="idp"
    )
    assert (await verifier_for(settings).verify(_token(key))).subject == "officer-17"
    with pytest.raises(StaffTokenError, match="must be set in production"):
        verifier_for(
            Settings.model_construct(
                environment="production",
                staff_jwks=None,
                staff_oidc_issuer=None,
                data_dir=tmp_path,
                staff_token_issuer="idp",
                staff_token_audience="safeguard",
            )
        )
