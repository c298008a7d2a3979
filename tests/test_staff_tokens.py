"""Staff bearer tokens from fixed key sets (configured, or the development key)."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

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


def _verifier(key: dict[str, object], *, leeway: float = 30) -> StaffVerifier:
    return StaffVerifier(
        {"idp": StaticKeys(public_key_set(key))}, audience="safeguard", leeway_seconds=leeway
    )


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


async def test_a_verified_token_is_remembered_by_digest_and_refused_once_expired(
    tmp_path: Path,
) -> None:
    key = development_signing_key(tmp_path)
    verifier = _verifier(key, leeway=0)
    token = _token(key, ttl=2)
    assert await verifier.verify(token) == OFFICER
    assert await verifier.verify(token) == OFFICER
    assert len(verifier.remembered) == 1
    assert token not in repr(vars(verifier.remembered))  # the token itself is not kept

    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(expires - time.time() + 0.2)
    with pytest.raises(StaffTokenError, match="token expired"):
        await verifier.verify(token)
    assert len(verifier.remembered) == 0


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


def _key_id(data_dir: Path, start: Any) -> str:
    start.wait()
    return str(development_signing_key(data_dir)["kid"])


def test_processes_starting_at_once_on_a_fresh_data_dir_agree_on_one_key(tmp_path: Path) -> None:
    # `safeguard run` starts every service at once: one signs service tokens with the key,
    # another verifies them with it, so they must all end up with the same one.
    with multiprocessing.Manager() as manager, ProcessPoolExecutor(8) as pool:
        start = manager.Barrier(8)
        kids = set(pool.map(_key_id, [tmp_path] * 8, [start] * 8))
    assert kids == {development_signing_key(tmp_path)["kid"]}
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["staff-signing-key.json"]
