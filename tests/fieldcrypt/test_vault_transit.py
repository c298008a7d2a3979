"""The Vault Transit adapter's requests and its reading of Vault's answers.

No Vault server can run on these machines (it is not on any package registry they reach), so
these tests check the adapter against Transit's documented HTTP API: the method, path,
headers and body of each request it sends, and what it makes of the documented answers and
errors. They do not show that a live Vault accepts them; the README says how to check that
against a real Vault before going live.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from safeguard.fieldcrypt.keys import KeyDestroyedError, KeyProviderError
from safeguard.fieldcrypt.vault import VaultTransit

CONTEXT = b"intake/6a1f0d7e-5b9c-4c1e-8f3a-2d4e6b8a0c11"
DATA_KEY = bytes(range(32))
# Ciphertexts as Transit writes them: vault:v<version>:<base64>.
V1 = "vault:v1:XjsPWPjqPrBi1N2Ms2s1QM798YyFWnO4TR4lsFA="
V2 = "vault:v2:abcdefgh0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ=="

Answer = tuple[int, dict[str, Any] | None]


class Recorder:
    """Answers each request from a table of (method, path) -> documented answer."""

    def __init__(self, answers: dict[tuple[str, str], Answer]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.answers[(request.method, request.url.path)]
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status)

    def body(self, index: int) -> dict[str, Any]:
        """The JSON body of the index-th request."""
        body: dict[str, Any] = json.loads(self.requests[index].content)
        return body


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    """Vault's response envelope around `data`."""
    return {"request_id": "4e3a", "lease_id": "", "renewable": False, "data": data}


def _vault(recorder: Recorder, **options: Any) -> VaultTransit:
    http = httpx.AsyncClient(
        base_url="https://vault.example:8200", transport=httpx.MockTransport(recorder)
    )
    return VaultTransit(http, token="s.token", key="safeguard-fields", **options)


async def test_wrap_sends_the_data_key_and_context_base64() -> None:
    recorder = Recorder(
        {("POST", "/v1/transit/encrypt/safeguard-fields"): (200, _envelope({"ciphertext": V1}))}
    )
    vault = _vault(recorder, namespace="ns1/safeguard")
    assert await vault.wrap(DATA_KEY, context=CONTEXT) == V1
    [request] = recorder.requests
    assert request.headers["X-Vault-Token"] == "s.token"
    assert request.headers["X-Vault-Namespace"] == "ns1/safeguard"
    assert request.headers["X-Vault-Request"] == "true"
    assert recorder.body(0) == {
        "plaintext": base64.b64encode(DATA_KEY).decode(),
        "context": base64.b64encode(CONTEXT).decode(),
    }


async def test_unwrap_and_rewrap() -> None:
    recorder = Recorder(
        {
            ("POST", "/v1/keys-eu/decrypt/safeguard-fields"): (
                200,
                _envelope({"plaintext": base64.b64encode(DATA_KEY).decode()}),
            ),
            ("POST", "/v1/keys-eu/rewrap/safeguard-fields"): (
                200,
                _envelope({"ciphertext": V2, "key_version": 2}),
            ),
        }
    )
    vault = _vault(recorder, mount="keys-eu/")
    assert await vault.unwrap(V1, context=CONTEXT) == DATA_KEY
    assert await vault.rewrap(V1, context=CONTEXT) == V2
    context = base64.b64encode(CONTEXT).decode()
    assert recorder.body(0) == recorder.body(1) == {"ciphertext": V1, "context": context}
    assert "X-Vault-Namespace" not in recorder.requests[0].headers


async def test_rotate_then_read_the_newest_version() -> None:
    key_info = {"latest_version": 3, "min_decryption_version": 1, "type": "aes256-gcm96"}
    recorder = Recorder(
        {
            # Vault before 1.15 answers 204; later versions answer 200 with the key's info.
            ("POST", "/v1/transit/keys/safeguard-fields/rotate"): (204, None),
            ("GET", "/v1/transit/keys/safeguard-fields"): (200, _envelope(key_info)),
        }
    )
    vault = _vault(recorder)
    assert await vault.rotate() == 3
    assert [r.method for r in recorder.requests] == ["POST", "GET"]


async def test_retire_raises_the_minimums_then_trims() -> None:
    recorder = Recorder(
        {
            ("POST", "/v1/transit/keys/safeguard-fields/config"): (200, _envelope({})),
            ("POST", "/v1/transit/keys/safeguard-fields/trim"): (204, None),
        }
    )
    vault = _vault(recorder)
    await vault.retire(below=4)
    assert [r.url.path.rsplit("/", 1)[-1] for r in recorder.requests] == ["config", "trim"]
    assert recorder.body(0) == {"min_decryption_version": 4, "min_encryption_version": 4}
    assert recorder.body(1) == {"min_available_version": 4}


async def test_a_key_under_a_retired_version_is_destroyed() -> None:
    too_old = {"errors": ["ciphertext or signature version is disallowed by policy (too old)"]}
    key_info = {"latest_version": 2, "min_decryption_version": 2}
    recorder = Recorder(
        {
            ("POST", "/v1/transit/decrypt/safeguard-fields"): (400, too_old),
            ("GET", "/v1/transit/keys/safeguard-fields"): (200, _envelope(key_info)),
        }
    )
    vault = _vault(recorder)
    with pytest.raises(KeyDestroyedError, match="version 1"):
        await vault.unwrap(V1, context=CONTEXT)


async def test_errors_name_vaults_reason_and_never_the_key() -> None:
    denied = {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
    recorder = Recorder(
        {
            ("POST", "/v1/transit/encrypt/safeguard-fields"): (403, denied),
            ("POST", "/v1/transit/decrypt/safeguard-fields"): (200, _envelope({})),
            ("GET", "/v1/transit/keys/safeguard-fields"): (200, _envelope({"latest_version": 1})),
        }
    )
    vault = _vault(recorder)
    with pytest.raises(KeyProviderError, match="403.*permission denied") as refused:
        await vault.wrap(DATA_KEY, context=CONTEXT)
    assert base64.b64encode(DATA_KEY).decode() not in str(refused.value)
    with pytest.raises(KeyProviderError, match="no plaintext"):
        await vault.unwrap(V2, context=CONTEXT)


async def test_an_unreachable_vault_is_a_provider_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse)
    http = httpx.AsyncClient(base_url="https://vault.example", transport=transport)
    vault = VaultTransit(http, token="s.token", key="safeguard-fields")
    with pytest.raises(KeyProviderError, match="unreachable"):
        await vault.wrap(DATA_KEY, context=CONTEXT)
